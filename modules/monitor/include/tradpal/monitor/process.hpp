// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

#include <tradpal/core/result.hpp>

namespace tradpal::monitor {

/// One look at this process: CPU use since the look before, memory, threads.
struct ProcessSample {
    /// CPU time (user + system, all threads) over wall time since the previous sample, in
    /// percent of one core: 250 means two and a half cores busy.
    double cpu_percent = 0;
    double cpu_seconds = 0;                    ///< user + system CPU time since the process started
    std::uint64_t rss_bytes = 0;               ///< resident set now (VmRSS)
    std::uint64_t peak_rss_bytes = 0;          ///< highest resident set so far (VmHWM)
    int threads = 0;                           ///< threads of the process now
    std::chrono::steady_clock::time_point at;  ///< when it was taken
};

/// Reads /proc/<pid>/stat and /proc/<pid>/status, remembering the previous sample so that each
/// sample's cpu_percent covers the time since the one before (the first: since the process
/// started). CPU time comes from stat's utime + stime, in clock ticks (usually 10 ms), except
/// for /proc/self, whose CPU clock is read to the nanosecond. Not thread-safe; one per
/// sampling thread.
class ProcessSampler {
public:
    /// Samples this process; `proc_dir` points elsewhere only in tests.
    explicit ProcessSampler(std::filesystem::path proc_dir = "/proc/self");

    /// Errors: IoError naming the file when /proc cannot be read (not Linux, no procfs mounted,
    /// hidepid), ParseError when a file does not look as the kernel writes it.
    Result<ProcessSample> sample();

private:
    std::filesystem::path proc_dir_;
    bool self_;
    std::optional<ProcessSample> previous_;
};

/// Samples this process through one ProcessSampler shared by every caller (cpu_percent: since
/// the previous call of sample_process(), or since the process started). Thread-safe.
/// Errors: as ProcessSampler::sample().
Result<ProcessSample> sample_process();

}  // namespace tradpal::monitor
