// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <numeric>
#include <utility>

#include <tradpal/monitor/timers.hpp>

namespace tradpal::monitor {
namespace {

// Linear interpolation between the closest ranks of sorted values (numpy's "linear").
double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) {
        return 0;
    }
    const double rank = q * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(rank);
    if (below + 1 >= sorted.size()) {
        return sorted.back();
    }
    const double fraction = rank - static_cast<double>(below);
    return sorted[below] + fraction * (sorted[below + 1] - sorted[below]);
}

}  // namespace

ScopedTimer::ScopedTimer(Timers* timers, std::string name)
    : timers_(timers), name_(std::move(name)) {
    if (timers_ != nullptr) {
        start_ = std::chrono::steady_clock::now();
    }
}

ScopedTimer::ScopedTimer(ScopedTimer&& other) noexcept
    : timers_(std::exchange(other.timers_, nullptr)),
      name_(std::move(other.name_)),
      start_(other.start_) {}

ScopedTimer& ScopedTimer::operator=(ScopedTimer&& other) noexcept {
    if (this != &other) {
        stop();
        timers_ = std::exchange(other.timers_, nullptr);
        name_ = std::move(other.name_);
        start_ = other.start_;
    }
    return *this;
}

double ScopedTimer::stop() noexcept {
    if (timers_ == nullptr) {
        return 0;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    Timers* timers = std::exchange(timers_, nullptr);
    try {
        timers->record(name_, seconds);
    } catch (...) {
        // Out of memory while timing: losing one duration beats ending the program from a
        // destructor.
    }
    return seconds;
}

void Timers::record(std::string_view name, double seconds) {
    const std::lock_guard lock(mutex_);
    auto it = index_.find(name);
    if (it == index_.end()) {
        it = index_.emplace(std::string(name), names_.size()).first;
        names_.emplace_back(name);
        seconds_.emplace_back();
    }
    seconds_[it->second].push_back(seconds);
}

std::vector<TimerStats> Timers::stats() const {
    std::vector<std::string> names;
    std::vector<std::vector<double>> all;
    {
        // Sorting happens on copies, outside the lock, so timers keep recording meanwhile.
        const std::lock_guard lock(mutex_);
        names = names_;
        all = seconds_;
    }
    std::vector<TimerStats> out;
    out.reserve(names.size());
    for (std::size_t k = 0; k < names.size(); ++k) {
        std::vector<double>& s = all[k];
        std::sort(s.begin(), s.end());
        TimerStats t;
        t.name = std::move(names[k]);
        t.count = s.size();
        t.total_s = std::accumulate(s.begin(), s.end(), 0.0);
        t.p50_s = quantile(s, 0.50);
        t.p95_s = quantile(s, 0.95);
        t.max_s = s.empty() ? 0 : s.back();
        out.push_back(std::move(t));
    }
    return out;
}

void Timers::clear() {
    const std::lock_guard lock(mutex_);
    seconds_.clear();
    names_.clear();
    index_.clear();
}

}  // namespace tradpal::monitor
