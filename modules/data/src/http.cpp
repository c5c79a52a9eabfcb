// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include <curl/curl.h>
#include <fmt/format.h>

#include <tradpal/config.hpp>
#include <tradpal/core/text.hpp>
#include <tradpal/data/http.hpp>

namespace tradpal::data {
namespace {

using Headers = std::map<std::string, std::string, std::less<>>;

constexpr std::chrono::milliseconds kMaxConnectTimeout{5'000};
constexpr long kMaxRedirects = 3;

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
    void operator()(CURL* curl) const noexcept { curl_easy_cleanup(curl); }
};
struct ListDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};

/// An easy handle and its open connections, used by one thread at a time.
struct Connection {
    std::unique_ptr<CURL, EasyDeleter> curl;
    std::array<char, CURL_ERROR_SIZE> error{};
};

// Callbacks must not let exceptions into libcurl; returning 0 aborts the transfer instead.
std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    try {
        static_cast<std::string*>(user)->append(data, size * count);
        return size * count;
    } catch (...) {
        return 0;
    }
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    try {
        auto& headers = *static_cast<Headers*>(user);
        const std::string_view line(data, size * count);
        if (line.starts_with("HTTP/")) {
            // A status line starts a new answer (after a redirect or 100 Continue): keep only
            // the final answer's headers.
            headers.clear();
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            headers.insert_or_assign(to_lower(trim(line.substr(0, colon))),
                                     std::string(trim(line.substr(colon + 1))));
        }
        return size * count;
    } catch (...) {
        return 0;
    }
}

std::unique_ptr<Connection> open_connection() {
    auto connection = std::make_unique<Connection>();
    connection->curl.reset(curl_easy_init());
    CURL* curl = connection->curl.get();
    if (curl == nullptr) {
        return nullptr;
    }
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, connection->error.data());
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "tradpal/" TRADPAL_VERSION);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    return connection;
}

// Failures that a later attempt may not meet; others (TLS certificates, bad encodings) repeat.
bool transient(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_SSL_CONNECT_ERROR:
            return true;
        default:
            return false;
    }
}

/// Full jitter (uniform in [0, cap]) keeps threads that failed together from retrying together.
RateLimiter::Clock::duration backoff(const HostPolicy& policy, int retry) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const double cap_ms =
        std::min(static_cast<double>(policy.max_delay.count()),
                 static_cast<double>(policy.base_delay.count()) * std::ldexp(1.0, retry - 1));
    std::uniform_real_distribution<double> jitter(0.0, std::max(cap_ms, 0.0));
    return std::chrono::duration_cast<RateLimiter::Clock::duration>(
        std::chrono::duration<double, std::milli>(jitter(rng)));
}

std::optional<int> read_int(std::string_view text) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

template <std::size_t N>
std::optional<unsigned> index_of(const std::array<std::string_view, N>& names,
                                 std::string_view name) {
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
        return std::nullopt;
    }
    return static_cast<unsigned>(found - names.begin());
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate).
std::optional<std::chrono::sys_seconds> parse_imf_fixdate(std::string_view text) {
    static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                              "Fri", "Sat", "Sun"};
    static constexpr std::array<std::string_view, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
        text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT" ||
        !index_of(kDays, text.substr(0, 3))) {
        return std::nullopt;
    }
    const auto month = index_of(kMonths, text.substr(8, 3));
    const auto day = read_int(text.substr(5, 2));
    const auto year = read_int(text.substr(12, 4));
    const auto hour = read_int(text.substr(17, 2));
    const auto minute = read_int(text.substr(20, 2));
    const auto second = read_int(text.substr(23, 2));
    if (!month || !day || !year || !hour || !minute || !second) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{*month + 1},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
           std::chrono::seconds{*second};
}

}  // namespace

RateLimiter::RateLimiter(double rate, double burst)
    : rate_(rate), burst_(burst), tokens_(burst), refilled_(Clock::now()) {
    TRADPAL_ASSERT(rate > 0 && burst >= 1, "a RateLimiter needs rate > 0 and burst >= 1");
}

void RateLimiter::acquire() {
    std::unique_lock lock(mutex_);
    while (true) {
        const auto now = Clock::now();
        Clock::duration wait{};
        if (now < paused_until_) {
            wait = paused_until_ - now;
        } else {
            const std::chrono::duration<double> elapsed = now - refilled_;
            tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
            refilled_ = now;
            if (tokens_ >= 1) {
                tokens_ -= 1;
                return;
            }
            // Rounded up so the waiter wakes with a whole token rather than spinning.
            wait = std::chrono::ceil<Clock::duration>(
                std::chrono::duration<double>((1 - tokens_) / rate_));
        }
        // Sleep unlocked so other threads can pause the limiter; everyone re-checks on waking.
        lock.unlock();
        std::this_thread::sleep_for(wait);
        lock.lock();
    }
}

void RateLimiter::pause_until(Clock::time_point until) {
    const std::lock_guard lock(mutex_);
    paused_until_ = std::max(paused_until_, until);
}

struct HttpClient::Impl {
    using Clock = RateLimiter::Clock;

    std::mutex mutex;  // guards the policies, limiters and idle connections
    HostPolicy default_policy;
    std::map<std::string, HostPolicy, std::less<>> policies;
    std::map<std::string, std::shared_ptr<RateLimiter>, std::less<>> limiters;
    // Handles not in use. Each keeps its connections open, so a thread that takes one back
    // after a request usually finds its connection still there.
    std::vector<std::unique_ptr<Connection>> idle;

    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> retries{0};
    std::atomic<std::uint64_t> throttled{0};
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::int64_t> wait_ns{0};

    std::pair<HostPolicy, std::shared_ptr<RateLimiter>> host(const std::string& origin) {
        const std::lock_guard lock(mutex);
        const auto found = policies.find(origin);
        const HostPolicy policy = found != policies.end() ? found->second : default_policy;
        auto& limiter = limiters[origin];
        if (!limiter) {
            limiter = std::make_shared<RateLimiter>(policy.rate, policy.burst);
        }
        return {policy, limiter};
    }

    std::unique_ptr<Connection> check_out() {
        {
            const std::lock_guard lock(mutex);
            if (!idle.empty()) {
                auto connection = std::move(idle.back());
                idle.pop_back();
                return connection;
            }
        }
        return open_connection();
    }

    void check_in(std::unique_ptr<Connection> connection) {
        const std::lock_guard lock(mutex);
        idle.push_back(std::move(connection));
    }

    void wait_for(RateLimiter& limiter) {
        const auto start = Clock::now();
        limiter.acquire();
        wait_ns +=
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    }

    Result<HttpResponse> fetch(Connection& connection, const std::string& url,
                               const std::string& origin, curl_slist* header_list) {
        const auto [policy, limiter] = host(origin);
        CURL* curl = connection.curl.get();
        HttpResponse response;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(policy.timeout.count()));
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::min(policy.timeout, kMaxConnectTimeout).count()));
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

        for (int attempt = 1;; ++attempt) {
            wait_for(*limiter);
            response.body.clear();
            response.headers.clear();
            response.attempts = attempt;
            connection.error[0] = '\0';
            const CURLcode code = curl_easy_perform(curl);
            ++requests;
            bytes += response.body.size();
            const bool last = attempt >= policy.max_attempts;

            if (code != CURLE_OK) {
                const std::string reason = connection.error[0] != '\0' ? connection.error.data()
                                                                       : curl_easy_strerror(code);
                if (code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL) {
                    return fail(ErrorCode::InvalidArgument, fmt::format("GET {}: {}", url, reason));
                }
                if (last || !transient(code)) {
                    return fail(ErrorCode::Unavailable,
                                fmt::format("GET {} failed after {} {}: {}", url, attempt,
                                            attempt == 1 ? "attempt" : "attempts", reason));
                }
                std::this_thread::sleep_for(backoff(policy, attempt));
                ++retries;
                continue;
            }

            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
            if (response.status == 429 || response.status == 418) {
                ++throttled;
                const auto retry_after = response.headers.find("retry-after");
                const auto told =
                    retry_after == response.headers.end()
                        ? std::nullopt
                        : parse_retry_after(retry_after->second, std::chrono::system_clock::now());
                // Every thread waits, not just this one. A wait longer than max_delay (a ban
                // of hours) is not sat out: the answer goes back to the caller.
                const double max_wait_s = std::chrono::duration<double>(policy.max_delay).count();
                const Clock::duration delay =
                    told ? std::chrono::ceil<Clock::duration>(
                               std::chrono::duration<double>(std::min(*told, max_wait_s)))
                         : backoff(policy, attempt);
                limiter->pause_until(Clock::now() + delay);
                if (last || (told && *told > max_wait_s)) {
                    return response;
                }
                ++retries;
                continue;
            }
            if (response.status >= 500 && !last) {
                std::this_thread::sleep_for(backoff(policy, attempt));
                ++retries;
                continue;
            }
            return response;
        }
    }
};

HttpClient::HttpClient() : impl_(std::make_unique<Impl>()) {
    init_curl_once();
}

HttpClient::~HttpClient() = default;

void HttpClient::set_policy(std::string origin, HostPolicy policy) {
    std::string key = url_origin(origin);
    if (key.empty()) {
        key = std::move(origin);
    }
    const std::lock_guard lock(impl_->mutex);
    impl_->policies.insert_or_assign(key, policy);
    impl_->limiters.erase(key);
}

void HttpClient::set_default_policy(HostPolicy policy) {
    const std::lock_guard lock(impl_->mutex);
    impl_->default_policy = policy;
    std::erase_if(impl_->limiters,
                  [&](const auto& entry) { return !impl_->policies.contains(entry.first); });
}

Result<HttpResponse> HttpClient::get(const std::string& url,
                                     const std::vector<std::string>& headers) {
    const std::string origin = url_origin(url);
    if (origin.empty()) {
        return fail(ErrorCode::InvalidArgument, fmt::format("malformed URL '{}'", url));
    }
    std::unique_ptr<curl_slist, ListDeleter> header_list;
    for (const auto& header : headers) {
        curl_slist* longer = curl_slist_append(header_list.get(), header.c_str());
        if (longer == nullptr) {
            throw std::bad_alloc();
        }
        if (!header_list) {
            header_list.reset(longer);  // later appends keep the same head
        }
    }
    auto connection = impl_->check_out();
    if (!connection) {
        return fail(ErrorCode::Unavailable, "libcurl could not create a handle");
    }
    auto result = impl_->fetch(*connection, url, origin, header_list.get());
    impl_->check_in(std::move(connection));
    return result;
}

HttpStats HttpClient::stats() const {
    HttpStats stats;
    stats.requests = impl_->requests.load();
    stats.retries = impl_->retries.load();
    stats.throttled = impl_->throttled.load();
    stats.bytes = impl_->bytes.load();
    stats.wait_seconds = static_cast<double>(impl_->wait_ns.load()) * 1e-9;
    return stats;
}

std::string url_origin(std::string_view url) {
    const std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
    if (!parsed ||
        curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
        return {};
    }
    const auto part = [&](CURLUPart which, unsigned flags) -> std::string {
        char* text = nullptr;
        if (curl_url_get(parsed.get(), which, &text, flags) != CURLUE_OK) {
            return {};
        }
        std::string out(text);
        curl_free(text);
        return out;
    };
    const std::string scheme = part(CURLUPART_SCHEME, 0);
    const std::string host = part(CURLUPART_HOST, 0);
    if (scheme.empty() || host.empty()) {
        return {};
    }
    // Without the default port, so "https://h" and "https://h:443" share one limiter.
    const std::string port = part(CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);
    return fmt::format("{}://{}{}{}", to_lower(scheme), to_lower(host), port.empty() ? "" : ":",
                       port);
}

std::string url_encode(std::string_view text) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4U];
            out += kHex[byte & 0xFU];
        }
    }
    return out;
}

std::optional<double> parse_retry_after(std::string_view value,
                                        std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        double seconds = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), seconds).ec != std::errc{}) {
            return std::nullopt;  // beyond a double
        }
        return seconds;
    }
    const auto date = parse_imf_fixdate(value);
    if (!date) {
        return std::nullopt;
    }
    return std::max(0.0, std::chrono::duration<double>(*date - now).count());
}

}  // namespace tradpal::data
