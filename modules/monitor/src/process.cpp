// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <tradpal/monitor/process.hpp>

namespace tradpal::monitor {
namespace {

template <class T>
std::optional<T> number(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// /proc files report a size of 0, so they are read until end of file rather than by size.
Result<std::string> read_proc(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail(ErrorCode::IoError,
                    fmt::format("cannot read {} ({}): process sampling needs Linux's /proc",
                                path.string(), std::generic_category().message(errno)));
    }
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            const int err = n < 0 ? errno : 0;
            ::close(fd);
            if (err != 0) {
                return fail(ErrorCode::IoError, fmt::format("cannot read {} ({})", path.string(),
                                                            std::generic_category().message(err)));
            }
            return text;
        }
    }
}

struct StatFields {
    std::uint64_t cpu_ticks = 0;    // utime + stime
    std::uint64_t start_ticks = 0;  // since boot
};

Result<StatFields> parse_stat(const std::filesystem::path& path, std::string_view text) {
    // The command name (field 2) sits in parentheses and may itself hold spaces and ')', so
    // the numbered fields are counted from the last ')'.
    const std::size_t close = text.rfind(')');
    std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
    if (close != std::string_view::npos) {
        std::size_t p = close + 1;
        while (p < text.size()) {
            while (p < text.size() && (text[p] == ' ' || text[p] == '\n')) {
                ++p;
            }
            const std::size_t end = text.find_first_of(" \n", p);
            const std::size_t stop = end == std::string_view::npos ? text.size() : end;
            if (stop > p) {
                fields.push_back(text.substr(p, stop - p));
            }
            p = stop;
        }
    }
    constexpr std::size_t kUtime = 14 - 3;
    constexpr std::size_t kStime = 15 - 3;
    constexpr std::size_t kStartTime = 22 - 3;
    if (fields.size() <= kStartTime) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: expected at least 22 fields", path.string()));
    }
    const auto utime = number<std::uint64_t>(fields[kUtime]);
    const auto stime = number<std::uint64_t>(fields[kStime]);
    const auto start = number<std::uint64_t>(fields[kStartTime]);
    if (!utime || !stime || !start) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: utime, stime or starttime is not a number", path.string()));
    }
    return StatFields{*utime + *stime, *start};
}

// The value of a "Key:   123 kB" line of /proc/<pid>/status, in the file's unit.
std::optional<std::uint64_t> status_value(std::string_view text, std::string_view key) {
    std::size_t p = 0;
    while (p < text.size()) {
        const std::size_t end = std::min(text.find('\n', p), text.size());
        const std::string_view line = text.substr(p, end - p);
        p = end + 1;
        if (line.size() <= key.size() || line.substr(0, key.size()) != key ||
            line[key.size()] != ':') {
            continue;
        }
        std::string_view rest = line.substr(key.size() + 1);
        const std::size_t first = rest.find_first_not_of(" \t");
        if (first == std::string_view::npos) {
            return std::nullopt;
        }
        rest = rest.substr(first);
        return number<std::uint64_t>(rest.substr(0, rest.find_first_of(" \t")));
    }
    return std::nullopt;
}

double ticks_per_second() {
    static const double ticks = [] {
        const long t = ::sysconf(_SC_CLK_TCK);
        return t > 0 ? static_cast<double>(t) : 100.0;
    }();
    return ticks;
}

}  // namespace

ProcessSampler::ProcessSampler(std::filesystem::path proc_dir)
    : proc_dir_(std::move(proc_dir)), self_(proc_dir_ == "/proc/self") {}

Result<ProcessSample> ProcessSampler::sample() {
    const std::filesystem::path stat_path = proc_dir_ / "stat";
    const std::filesystem::path status_path = proc_dir_ / "status";
    auto stat_text = read_proc(stat_path);
    if (!stat_text) {
        return stat_text.error();
    }
    const auto now = std::chrono::steady_clock::now();
    const auto stat = parse_stat(stat_path, *stat_text);
    if (!stat) {
        return stat.error();
    }
    auto status_text = read_proc(status_path);
    if (!status_text) {
        return status_text.error();
    }
    const auto rss_kib = status_value(*status_text, "VmRSS");
    const auto hwm_kib = status_value(*status_text, "VmHWM");
    const auto threads = status_value(*status_text, "Threads");
    if (!rss_kib || !hwm_kib || !threads) {
        return fail(ErrorCode::ParseError,
                    fmt::format("{}: no VmRSS, VmHWM or Threads line", status_path.string()));
    }

    ProcessSample s;
    s.at = now;
    s.cpu_seconds = static_cast<double>(stat->cpu_ticks) / ticks_per_second();
    if (timespec ts{}; self_ && ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0) {
        // The same utime + stime, to the nanosecond rather than in clock ticks (10 ms), so
        // that short intervals do not read as 0% or 100%.
        s.cpu_seconds = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
    s.rss_bytes = *rss_kib * 1024;
    s.peak_rss_bytes = *hwm_kib * 1024;
    s.threads = static_cast<int>(*threads);
    double wall_seconds = 0;
    double cpu_delta = s.cpu_seconds;
    if (previous_) {
        wall_seconds = std::chrono::duration<double>(now - previous_->at).count();
        cpu_delta = s.cpu_seconds - previous_->cpu_seconds;
    } else if (const auto uptime = read_proc(proc_dir_.parent_path() / "uptime")) {
        // The first sample covers the process's life so far: boot-relative start time against
        // the system's uptime. Without /proc/uptime it reports 0 rather than fail.
        const std::string_view up(*uptime);
        if (const auto up_seconds = number<double>(up.substr(0, up.find(' ')))) {
            wall_seconds =
                *up_seconds - static_cast<double>(stat->start_ticks) / ticks_per_second();
        }
    }
    s.cpu_percent = wall_seconds > 0 ? 100.0 * cpu_delta / wall_seconds : 0.0;
    previous_ = s;
    return s;
}

Result<ProcessSample> sample_process() {
    static std::mutex mutex;
    static ProcessSampler sampler;
    const std::lock_guard lock(mutex);
    return sampler.sample();
}

}  // namespace tradpal::monitor
