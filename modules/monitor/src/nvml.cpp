// SPDX-License-Identifier: Apache-2.0
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

#include <dlfcn.h>
#include <fmt/format.h>

#include <tradpal/monitor/nvml.hpp>

namespace tradpal::monitor {
namespace {

// The few NVML declarations used, written from NVML's documented C API so that neither nvml.h
// nor the driver is needed to build. Enums travel as int in NVML's ABI.
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr int kNvmlTemperatureGpu = 0;
constexpr unsigned kNameBufferSize = 96;           // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kDriverVersionBufferSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

struct NvmlUtilization {
    unsigned gpu;
    unsigned memory;
};
struct NvmlMemory {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

using InitFn = NvmlReturn (*)();
using ShutdownFn = NvmlReturn (*)();
using CountFn = NvmlReturn (*)(unsigned*);
using HandleFn = NvmlReturn (*)(unsigned, NvmlDevice*);
using NameFn = NvmlReturn (*)(NvmlDevice, char*, unsigned);
using UtilizationFn = NvmlReturn (*)(NvmlDevice, NvmlUtilization*);
using MemoryFn = NvmlReturn (*)(NvmlDevice, NvmlMemory*);
using TemperatureFn = NvmlReturn (*)(NvmlDevice, int, unsigned*);
using DriverVersionFn = NvmlReturn (*)(char*, unsigned);
using ErrorStringFn = const char* (*)(NvmlReturn);

}  // namespace

struct Nvml::Library {
    void* handle = nullptr;
    bool initialised = false;
    InitFn init = nullptr;
    ShutdownFn shutdown = nullptr;
    CountFn count = nullptr;
    HandleFn handle_by_index = nullptr;
    NameFn name = nullptr;
    UtilizationFn utilization = nullptr;
    MemoryFn memory = nullptr;
    TemperatureFn temperature = nullptr;
    DriverVersionFn driver_version = nullptr;
    ErrorStringFn error_string = nullptr;  // optional: only for messages

    Library() = default;
    Library(const Library&) = delete;
    Library& operator=(const Library&) = delete;
    ~Library() {
        if (initialised) {
            shutdown();
        }
        if (handle != nullptr) {
            ::dlclose(handle);
        }
    }

    template <class Fn>
    bool bind(Fn& fn, const char* symbol) {
        fn = reinterpret_cast<Fn>(::dlsym(handle, symbol));
        return fn != nullptr;
    }

    std::string error_text(NvmlReturn code) const {
        const char* text = error_string != nullptr ? error_string(code) : nullptr;
        return text != nullptr ? fmt::format("{} (NVML error {})", text, code)
                               : fmt::format("NVML error {}", code);
    }

    std::vector<NvmlDevice> handles() const {
        unsigned n = 0;
        std::vector<NvmlDevice> out;
        if (count(&n) != kNvmlSuccess) {
            return out;
        }
        for (unsigned i = 0; i < n; ++i) {
            NvmlDevice device = nullptr;
            out.push_back(handle_by_index(i, &device) == kNvmlSuccess ? device : nullptr);
        }
        return out;
    }

    std::string device_name(NvmlDevice device) const {
        char buffer[kNameBufferSize] = {};
        if (name(device, buffer, kNameBufferSize) != kNvmlSuccess) {
            return "unknown";
        }
        return std::string(buffer, ::strnlen(buffer, kNameBufferSize));
    }
};

Result<Nvml> Nvml::open(const std::string& library) {
    auto lib = std::make_unique<Library>();
    ::dlerror();
    lib->handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib->handle == nullptr) {
        const char* why = ::dlerror();
        const std::string_view reason = why != nullptr ? why : "";
        if (reason.empty() || reason.find("No such file") != std::string_view::npos) {
            return fail(ErrorCode::Unavailable,
                        fmt::format("{} not found (no NVIDIA driver)", library));
        }
        return fail(ErrorCode::Unavailable,
                    fmt::format("{} could not be loaded: {}", library, reason));
    }
    const std::pair<bool, const char*> bound[] = {
        {lib->bind(lib->init, "nvmlInit_v2"), "nvmlInit_v2"},
        {lib->bind(lib->shutdown, "nvmlShutdown"), "nvmlShutdown"},
        {lib->bind(lib->count, "nvmlDeviceGetCount_v2"), "nvmlDeviceGetCount_v2"},
        {lib->bind(lib->handle_by_index, "nvmlDeviceGetHandleByIndex_v2"),
         "nvmlDeviceGetHandleByIndex_v2"},
        {lib->bind(lib->name, "nvmlDeviceGetName"), "nvmlDeviceGetName"},
        {lib->bind(lib->utilization, "nvmlDeviceGetUtilizationRates"),
         "nvmlDeviceGetUtilizationRates"},
        {lib->bind(lib->memory, "nvmlDeviceGetMemoryInfo"), "nvmlDeviceGetMemoryInfo"},
        {lib->bind(lib->temperature, "nvmlDeviceGetTemperature"), "nvmlDeviceGetTemperature"},
        {lib->bind(lib->driver_version, "nvmlSystemGetDriverVersion"),
         "nvmlSystemGetDriverVersion"},
    };
    for (const auto& [ok, symbol] : bound) {
        if (!ok) {
            return fail(
                ErrorCode::Unavailable,
                fmt::format("{} has no {} (a driver too old for TradPal)", library, symbol));
        }
    }
    lib->bind(lib->error_string, "nvmlErrorString");
    if (const NvmlReturn rc = lib->init(); rc != kNvmlSuccess) {
        return fail(ErrorCode::Unavailable,
                    fmt::format("NVML did not start: {}", lib->error_text(rc)));
    }
    lib->initialised = true;
    return Nvml(std::move(lib));
}

Nvml::Nvml(std::unique_ptr<Library> library) noexcept : lib_(std::move(library)) {}
Nvml::Nvml(Nvml&& other) noexcept = default;
Nvml& Nvml::operator=(Nvml&& other) noexcept = default;
Nvml::~Nvml() = default;

std::string Nvml::driver_version() const {
    char buffer[kDriverVersionBufferSize] = {};
    if (lib_->driver_version(buffer, kDriverVersionBufferSize) != kNvmlSuccess) {
        return {};
    }
    return std::string(buffer, ::strnlen(buffer, kDriverVersionBufferSize));
}

std::vector<GpuDevice> Nvml::devices() const {
    std::vector<GpuDevice> out;
    const std::vector<NvmlDevice> handles = lib_->handles();
    for (unsigned i = 0; i < handles.size(); ++i) {
        if (handles[i] == nullptr) {
            continue;
        }
        GpuDevice d;
        d.index = i;
        d.name = lib_->device_name(handles[i]);
        NvmlMemory memory{};
        if (lib_->memory(handles[i], &memory) == kNvmlSuccess) {
            d.memory_total_bytes = memory.total;
        }
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<GpuSample> Nvml::sample() const {
    std::vector<GpuSample> out;
    const std::vector<NvmlDevice> handles = lib_->handles();
    for (unsigned i = 0; i < handles.size(); ++i) {
        if (handles[i] == nullptr) {
            continue;
        }
        GpuSample s;
        s.index = i;
        s.name = lib_->device_name(handles[i]);
        NvmlUtilization utilization{};
        s.utilization_percent = lib_->utilization(handles[i], &utilization) == kNvmlSuccess
                                    ? static_cast<double>(utilization.gpu)
                                    : NAN;
        NvmlMemory memory{};
        if (lib_->memory(handles[i], &memory) == kNvmlSuccess) {
            s.memory_used_bytes = memory.used;
            s.memory_total_bytes = memory.total;
        }
        unsigned celsius = 0;
        s.temperature_c =
            lib_->temperature(handles[i], kNvmlTemperatureGpu, &celsius) == kNvmlSuccess
                ? static_cast<double>(celsius)
                : NAN;
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace tradpal::monitor
