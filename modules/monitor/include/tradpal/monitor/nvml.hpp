// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tradpal/core/result.hpp>

namespace tradpal::monitor {

/// The NVIDIA driver's library, as the loader finds it.
inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

/// An NVIDIA GPU as NVML lists it.
struct GpuDevice {
    unsigned index = 0;
    std::string name;
    std::uint64_t memory_total_bytes = 0;
};

/// One look at one GPU. Values a device does not report are NaN.
struct GpuSample {
    unsigned index = 0;
    std::string name;
    double utilization_percent = 0;  ///< time a kernel ran over the driver's last sample period
    std::uint64_t memory_used_bytes = 0;
    std::uint64_t memory_total_bytes = 0;
    double temperature_c = 0;  ///< the GPU die's sensor
};

/// The NVIDIA Management Library, loaded at run time (dlopen) so that TradPal neither links
/// nor needs the driver: without it open() says why. Move-only; initialised while it lives.
/// Thread-safe (NVML is).
class Nvml {
public:
    /// Loads `library` (a name the loader searches for, or a path) and initialises NVML.
    /// Errors: Unavailable with a one-line reason: "libnvidia-ml.so.1 not found (no NVIDIA
    /// driver)", a library lacking a function, or NVML's own refusal (driver not loaded, ...).
    static Result<Nvml> open(const std::string& library = kNvmlLibrary);

    Nvml(Nvml&& other) noexcept;
    Nvml& operator=(Nvml&& other) noexcept;
    Nvml(const Nvml&) = delete;
    Nvml& operator=(const Nvml&) = delete;
    ~Nvml();

    /// The driver's version, e.g. "550.54.15"; empty when NVML does not say.
    std::string driver_version() const;
    /// Every GPU the driver sees (those NVML cannot query are left out).
    std::vector<GpuDevice> devices() const;
    /// Utilisation, memory and temperature of every GPU now.
    std::vector<GpuSample> sample() const;

private:
    struct Library;
    explicit Nvml(std::unique_ptr<Library> library) noexcept;

    std::unique_ptr<Library> lib_;
};

}  // namespace tradpal::monitor
