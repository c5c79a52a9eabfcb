// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tradpal::monitor {

/// Durations recorded under one name, summarised. Quantiles are exact over every recorded
/// duration, interpolated linearly between neighbours (numpy's default): p50 of {1, 2} is 1.5.
struct TimerStats {
    std::string name;
    std::size_t count = 0;
    double total_s = 0;
    double p50_s = 0;
    double p95_s = 0;
    double max_s = 0;
};

class Timers;

/// Measures from its construction to stop() or its end, and records the duration in its
/// Timers under its name. A default-constructed one (monitoring off) measures nothing. Move-only.
class ScopedTimer {
public:
    ScopedTimer() = default;
    /// Starts timing; `timers` may be null (then nothing is recorded) and must outlive this.
    ScopedTimer(Timers* timers, std::string name);
    ScopedTimer(ScopedTimer&& other) noexcept;
    ScopedTimer& operator=(ScopedTimer&& other) noexcept;
    ScopedTimer(const ScopedTimer&) = delete;
    ScopedTimer& operator=(const ScopedTimer&) = delete;
    ~ScopedTimer() { stop(); }

    /// Records the seconds since construction, once: later calls, and calls on an inert timer,
    /// record nothing and return 0.
    double stop() noexcept;

private:
    Timers* timers_ = nullptr;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
};

/// Named timers: every duration recorded under a name is kept (8 bytes each), so quantiles are
/// exact; meant for stages and requests, not for loops of millions. Thread-safe.
class Timers {
public:
    /// A timer recording under `name` when it stops.
    ScopedTimer scope(std::string name) { return ScopedTimer(this, std::move(name)); }
    /// Records a duration measured elsewhere.
    void record(std::string_view name, double seconds);
    /// One entry per name, in the order the names were first recorded.
    std::vector<TimerStats> stats() const;
    /// Forgets every duration.
    void clear();

private:
    mutable std::mutex mutex_;
    std::vector<std::vector<double>> seconds_;               // per name, in order of first use
    std::vector<std::string> names_;                         // same order
    std::map<std::string, std::size_t, std::less<>> index_;  // name -> position
};

}  // namespace tradpal::monitor
