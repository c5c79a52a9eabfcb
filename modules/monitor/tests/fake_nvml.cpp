// SPDX-License-Identifier: Apache-2.0
// A made-up NVIDIA driver library for the tests: two GPUs with fixed figures, the second
// without a temperature sensor and with a quote in its name. TRADPAL_FAKE_NVML_INIT_ERROR=<n>
// makes nvmlInit_v2 fail with code n. Built without TRADPAL_FAKE_NVML_PARTIAL only, it has
// nvmlDeviceGetMemoryInfo.
#include <cstdlib>
#include <cstring>

namespace {

struct FakeDevice {
    const char* name;
    unsigned utilization;
    unsigned long long used;
    unsigned long long total;
    int temperature;  // < 0: not supported
};

constexpr unsigned long long kGiB = 1ULL << 30;
FakeDevice devices[] = {
    {"Fake GPU 0", 42, 1 * kGiB, 16 * kGiB, 55},
    {"Fake \"GPU\" 1", 7, 2 * kGiB, 24 * kGiB, -1},
};
constexpr unsigned kCount = sizeof devices / sizeof devices[0];
constexpr int kSuccess = 0;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;
constexpr int kUninitialized = 1;
constexpr int kInsufficientSize = 7;

int live = 0;  // nvmlInit_v2 calls not yet matched by nvmlShutdown

FakeDevice* device_of(void* handle) {
    for (FakeDevice& d : devices) {
        if (handle == &d) {
            return &d;
        }
    }
    return nullptr;
}

int copy(const char* text, char* out, unsigned length) {
    if (std::strlen(text) + 1 > length) {
        return kInsufficientSize;
    }
    std::strcpy(out, text);
    return kSuccess;
}

}  // namespace

extern "C" {

int tradpal_fake_nvml_live() {
    return live;
}

int nvmlInit_v2() {
    if (const char* e = std::getenv("TRADPAL_FAKE_NVML_INIT_ERROR"); e != nullptr && *e != 0) {
        return std::atoi(e);
    }
    ++live;
    return kSuccess;
}

int nvmlShutdown() {
    if (live == 0) {
        return kUninitialized;
    }
    --live;
    return kSuccess;
}

const char* nvmlErrorString(int code) {
    return code == 9 ? "Driver Not Loaded" : "Unknown Error";
}

int nvmlSystemGetDriverVersion(char* version, unsigned length) {
    return copy("999.1.2", version, length);
}

int nvmlDeviceGetCount_v2(unsigned* count) {
    *count = kCount;
    return live > 0 ? kSuccess : kUninitialized;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
    if (index >= kCount) {
        return kInvalidArgument;
    }
    *device = &devices[index];
    return kSuccess;
}

int nvmlDeviceGetName(void* device, char* name, unsigned length) {
    const FakeDevice* d = device_of(device);
    return d == nullptr ? kInvalidArgument : copy(d->name, name, length);
}

struct FakeUtilization {
    unsigned gpu;
    unsigned memory;
};

int nvmlDeviceGetUtilizationRates(void* device, FakeUtilization* utilization) {
    const FakeDevice* d = device_of(device);
    if (d == nullptr) {
        return kInvalidArgument;
    }
    utilization->gpu = d->utilization;
    utilization->memory = d->utilization / 2;
    return kSuccess;
}

#ifndef TRADPAL_FAKE_NVML_PARTIAL
struct FakeMemory {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

int nvmlDeviceGetMemoryInfo(void* device, FakeMemory* memory) {
    const FakeDevice* d = device_of(device);
    if (d == nullptr) {
        return kInvalidArgument;
    }
    memory->total = d->total;
    memory->used = d->used;
    memory->free = d->total - d->used;
    return kSuccess;
}
#endif

int nvmlDeviceGetTemperature(void* device, int sensor, unsigned* celsius) {
    const FakeDevice* d = device_of(device);
    if (d == nullptr || sensor != 0) {
        return kInvalidArgument;
    }
    if (d->temperature < 0) {
        return kNotSupported;
    }
    *celsius = static_cast<unsigned>(d->temperature);
    return kSuccess;
}

}  // extern "C"
