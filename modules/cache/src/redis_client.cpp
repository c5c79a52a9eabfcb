// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/cache/redis_client.hpp>
#include <tradpal/config.hpp>

#if TRADPAL_HAS_REDIS
#include <cerrno>
#include <climits>
#include <initializer_list>
#include <iterator>
#include <system_error>

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#endif

namespace tradpal::cache {

#if TRADPAL_HAS_REDIS

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// GETs per pipelined round: bounds what the server buffers for us when mget gets many keys.
constexpr std::size_t kPipelineBatch = 256;
// Keys asked of each SCAN step, and so at most this many per UNLINK.
constexpr std::string_view kScanCount = "1000";

timeval to_timeval(std::chrono::milliseconds ms) {
    // A zero timeout would mean "wait forever" to setsockopt.
    const long long count = std::max<long long>(ms.count(), 1);
    return timeval{.tv_sec = static_cast<time_t>(count / 1000),
                   .tv_usec = static_cast<suseconds_t>((count % 1000) * 1000)};
}

std::string_view as_chars(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string_view reply_text(const redisReply& reply) {
    return reply.str == nullptr ? std::string_view{} : std::string_view{reply.str, reply.len};
}

std::string_view type_name(int type) {
    switch (type) {
        case REDIS_REPLY_STRING:
            return "string";
        case REDIS_REPLY_ARRAY:
            return "array";
        case REDIS_REPLY_INTEGER:
            return "integer";
        case REDIS_REPLY_NIL:
            return "nil";
        case REDIS_REPLY_STATUS:
            return "status";
        case REDIS_REPLY_ERROR:
            return "error";
        default:
            return "unknown";
    }
}

// Glob characters of a SCAN MATCH pattern, so a prefix like "a*[b]" only matches itself.
std::string escape_glob(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
            out.push_back('\\');
        }
        out.push_back(c);
    }
    return out;
}

// Memory for a large value read from the socket: anonymous pages the kernel may back with huge
// pages, so that receiving 160 MB faults a few hundred pages instead of 40,000.
class ReceiveBuffer {
public:
    static constexpr std::size_t kHugeFrom = std::size_t{2} << 20;

    explicit ReceiveBuffer(std::size_t size) : size_(size) {
        if (size >= kHugeFrom) {
            void* p =
                ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) {
                throw std::bad_alloc();
            }
            static_cast<void>(::madvise(p, size, MADV_HUGEPAGE));  // a hint; fine if refused
            data_ = static_cast<std::uint8_t*>(p);
            mapped_ = true;
        } else {
            data_ = new std::uint8_t[std::max<std::size_t>(size, 1)];
        }
    }
    ReceiveBuffer(const ReceiveBuffer&) = delete;
    ReceiveBuffer& operator=(const ReceiveBuffer&) = delete;
    ~ReceiveBuffer() {
        if (mapped_) {
            ::munmap(data_, size_);
        } else {
            delete[] data_;
        }
    }
    std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    bool mapped_ = false;
};

// True while a connection with no reply outstanding has nothing to read: a readable or hung-up
// socket means the server closed it (restart, idle timeout), found without a round trip.
bool socket_still_open(int fd) {
    pollfd entry{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&entry, 1, 0);
    if (ready < 0) {
        return errno == EINTR;
    }
    return ready == 0;
}

// Commands in the Redis protocol (RESP). We write them ourselves, with send(MSG_NOSIGNAL),
// rather than through hiredis's write(): a write to a connection the server has closed must not
// raise SIGPIPE in the host process. Large arguments are referenced, not copied, so a big value
// goes from the caller's buffer straight to the socket; the referenced data must outlive send().
class CommandBuffer {
public:
    void clear() {
        text_.clear();
        refs_.clear();
    }

    void command(std::initializer_list<std::string_view> args) {
        begin(args.size());
        for (const std::string_view arg : args) {
            add(arg);
        }
    }

    void begin(std::size_t argc) { fmt::format_to(std::back_inserter(text_), "*{}\r\n", argc); }

    void add(std::string_view arg) {
        fmt::format_to(std::back_inserter(text_), "${}\r\n", arg.size());
        if (arg.size() > kCopyLimit) {
            refs_.push_back({text_.size(), arg});
        } else {
            text_.append(arg);
        }
        text_.append("\r\n");
    }

    /// Writes every byte; 0, or the errno of the failure (EAGAIN: the send timeout passed).
    int send(int fd) const {
        std::vector<iovec> parts;
        parts.reserve(2 * refs_.size() + 1);
        std::size_t from = 0;
        const auto push = [&parts](const char* data, std::size_t size) {
            if (size > 0) {
                parts.push_back({const_cast<char*>(data), size});
            }
        };
        for (const Ref& ref : refs_) {
            push(text_.data() + from, ref.text_offset - from);
            push(ref.data.data(), ref.data.size());
            from = ref.text_offset;
        }
        push(text_.data() + from, text_.size() - from);

        std::size_t next = 0;
        while (next < parts.size()) {
            msghdr message{};
            message.msg_iov = parts.data() + next;
            message.msg_iovlen = std::min<std::size_t>(parts.size() - next, IOV_MAX);
            const ssize_t sent = ::sendmsg(fd, &message, MSG_NOSIGNAL);
            if (sent < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return errno;
            }
            // Skip what went out; a part sent in part is trimmed in place.
            auto left = static_cast<std::size_t>(sent);
            while (next < parts.size() && left >= parts[next].iov_len) {
                left -= parts[next].iov_len;
                ++next;
            }
            if (left > 0) {
                parts[next].iov_base = static_cast<char*>(parts[next].iov_base) + left;
                parts[next].iov_len -= left;
            }
        }
        return 0;
    }

private:
    // Arguments up to this size are copied into text_; copying is cheaper than an iovec.
    static constexpr std::size_t kCopyLimit = std::size_t{16} << 10;

    struct Ref {
        std::size_t text_offset;  // the argument goes before text_[text_offset]
        std::string_view data;
    };

    std::string text_;
    std::vector<Ref> refs_;
};

}  // namespace

struct RedisClient::Impl {
    explicit Impl(RedisOptions opts) : options(std::move(opts)) {}
    ~Impl() { drop(); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    std::string where() const { return fmt::format("{}:{}", options.host, options.port); }

    void drop() {
        if (context != nullptr) {
            redisFree(context);
            context = nullptr;
        }
    }

    /// A usable connection: the open one, or a new one when the back-off allows.
    bool connected() {
        if (context != nullptr) {
            if (socket_still_open(context->fd)) {
                return true;
            }
            // The server closed an idle connection. Not a failure seen by a caller yet, so one
            // reconnect is tried now instead of after a back-off.
            spdlog::debug("Redis at {} closed the connection; reconnecting", where());
            drop();
        } else if (Clock::now() < retry_at) {
            return false;
        }
        return connect();
    }

    bool connect() {
        redisContext* fresh = redisConnectWithTimeout(options.host.c_str(), options.port,
                                                      to_timeval(options.connect_timeout));
        if (fresh == nullptr) {
            fail_io(fmt::format("cannot connect to Redis at {}: out of memory", where()));
            return false;
        }
        if (fresh->err != 0) {
            std::string why = fresh->errstr;
            redisFree(fresh);
            fail_io(fmt::format("cannot connect to Redis at {}: {}", where(), why));
            return false;
        }
        context = fresh;
        if (redisSetTimeout(context, to_timeval(options.command_timeout)) != REDIS_OK) {
            fail_io(fmt::format("cannot set a timeout on the Redis connection to {}: {}", where(),
                                context->errstr));
            return false;
        }
        // Failing that only means a dead peer is noticed later, so it is not an error.
        static_cast<void>(redisEnableKeepAlive(context));

        // A listening port is not yet a Redis that serves us (LOADING, NOAUTH, another program).
        const Reply pong = call({"PING"});
        if (!pong) {
            return false;
        }
        if (pong->type != REDIS_REPLY_STATUS || reply_text(*pong) != "PONG") {
            fail_io(fmt::format("Redis at {} answered PING with {} '{}'", where(),
                                type_name(pong->type), reply_text(*pong)));
            return false;
        }
        backoff = std::chrono::milliseconds{0};
        ever_connected = true;
        if (in_outage) {
            in_outage = false;
            spdlog::info("Redis at {} is reachable again", where());
        }
        return true;
    }

    /// An I/O error or timeout: the connection's state is unknown (a late reply may still come),
    /// so it is dropped and no new one is tried until the back-off has passed.
    void fail_io(std::string why) {
        drop();
        backoff = backoff.count() == 0 ? std::min(options.first_backoff, options.max_backoff)
                                       : std::min(backoff * 2, options.max_backoff);
        retry_at = Clock::now() + backoff;
        if (!in_outage) {
            in_outage = true;
            spdlog::warn(
                "Redis cache level unavailable ({}); carrying on without it, next try in {} ms",
                why, backoff.count());
        } else {
            spdlog::debug("Redis still unavailable ({}); next try in {} ms", why, backoff.count());
        }
        last_error = std::move(why);
    }

    /// An error reply or one of the wrong type: the connection stays in step and is kept.
    void fail_reply(std::string why) {
        spdlog::debug("Redis at {}: {}", where(), why);
        last_error = std::move(why);
    }

    bool send() {
        const int error = out.send(context->fd);
        out.clear();  // forget references into the caller's buffers
        if (error == 0) {
            return true;
        }
        if (error == EAGAIN || error == EWOULDBLOCK) {
            fail_io(fmt::format("Redis at {} did not accept a command within {} ms", where(),
                                options.command_timeout.count()));
        } else {
            fail_io(fmt::format("cannot send to Redis at {}: {}", where(),
                                std::generic_category().message(error)));
        }
        return false;
    }

    /// The next reply; nullptr after an I/O failure (already handled by fail_io).
    Reply read_reply() {
        void* raw = nullptr;
        if (redisGetReply(context, &raw) != REDIS_OK) {
            const int error = errno;
            if (context->err == REDIS_ERR_IO && (error == EAGAIN || error == EWOULDBLOCK)) {
                fail_io(fmt::format("Redis at {} did not reply within {} ms", where(),
                                    options.command_timeout.count()));
            } else {
                fail_io(fmt::format("Redis at {}: {}", where(), context->errstr));
            }
            return nullptr;
        }
        return Reply(static_cast<redisReply*>(raw));
    }

    /// Bytes from the socket into `into` (all of it when `exact`, else whatever one recv gives);
    /// false after an I/O failure (handled by fail_io).
    bool receive(std::span<std::uint8_t> into, bool exact, std::size_t& got) {
        got = 0;
        while (got < into.size()) {
            const ssize_t n = ::recv(context->fd, into.data() + got, into.size() - got, 0);
            if (n > 0) {
                got += static_cast<std::size_t>(n);
                if (!exact) {
                    return true;
                }
                continue;
            }
            const int error = errno;
            if (n < 0 && error == EINTR) {
                continue;
            }
            if (n == 0) {
                fail_io(fmt::format("Redis at {} closed the connection mid-reply", where()));
            } else if (error == EAGAIN || error == EWOULDBLOCK) {
                fail_io(fmt::format("Redis at {} did not reply within {} ms", where(),
                                    options.command_timeout.count()));
            } else {
                fail_io(fmt::format("cannot read from Redis at {}: {}", where(),
                                    std::generic_category().message(error)));
            }
            return false;
        }
        return true;
    }

    /// The reply to one GET, read from the socket by us: a bulk string lands in a buffer of its
    /// final size, which the returned bytes own. hiredis would gather it in its own growing
    /// buffer and copy it into a reply object, two copies into fresh pages (400+ ms of a 160 MB
    /// hit). Only valid when hiredis holds no unread bytes, which is so between our calls as
    /// nothing is pipelined across them. nullopt for nil, an error reply or an I/O failure.
    std::optional<SharedBytes> read_get_reply(std::string_view key) {
        // The header "$<length>\r\n" (or "$-1", "-ERR ..."); one recv usually brings it and,
        // for a small value, the whole reply.
        std::array<std::uint8_t, 4096> head{};
        std::size_t have = 0;
        std::size_t line_end = 0;
        for (;;) {
            std::size_t got = 0;
            if (!receive(std::span(head).subspan(have), false, got)) {
                return std::nullopt;
            }
            have += got;
            const std::string_view seen(reinterpret_cast<const char*>(head.data()), have);
            line_end = seen.find("\r\n");
            if (line_end != std::string_view::npos) {
                break;
            }
            if (have == head.size()) {
                fail_io(fmt::format("Redis at {} sent a reply line over {} bytes", where(),
                                    head.size()));
                return std::nullopt;
            }
        }
        const std::string_view line(reinterpret_cast<const char*>(head.data()), line_end);
        const std::size_t after_line = line_end + 2;
        if (line.starts_with('-')) {
            if (have != after_line) {
                fail_io(fmt::format("Redis at {} sent bytes after an error reply", where()));
            } else {
                fail_reply(fmt::format("GET failed: {}", line.substr(1)));
            }
            return std::nullopt;
        }
        long long length = -2;
        const auto [end, ec] = std::from_chars(line.data() + std::min<std::size_t>(1, line.size()),
                                               line.data() + line.size(), length);
        if (!line.starts_with('$') || ec != std::errc() || end != line.data() + line.size() ||
            length < -1 || (length >= 0 && static_cast<std::uint64_t>(length) > kMaxValueBytes)) {
            fail_io(fmt::format("Redis at {} answered GET {} with '{}'", where(), key,
                                line.substr(0, 40)));
            return std::nullopt;
        }
        if (length == -1) {
            if (have != after_line) {
                fail_io(fmt::format("Redis at {} sent bytes after a nil reply", where()));
            }
            return std::nullopt;
        }
        const auto size = static_cast<std::size_t>(length);
        auto buffer = std::make_shared<const ReceiveBuffer>(size + 2);  // + the final "\r\n"
        const std::span<std::uint8_t> all(buffer->data(), buffer->size());
        const std::size_t early = have - after_line;
        if (early > all.size()) {
            fail_io(fmt::format("Redis at {} sent bytes after a GET reply", where()));
            return std::nullopt;
        }
        std::copy_n(head.begin() + static_cast<std::ptrdiff_t>(after_line), early, all.begin());
        std::size_t got = 0;
        if (!receive(all.subspan(early), true, got)) {
            return std::nullopt;
        }
        if (all[size] != '\r' || all[size + 1] != '\n') {
            fail_io(fmt::format("Redis at {} ended a GET reply without CRLF", where()));
            return std::nullopt;
        }
        return SharedBytes{all.first(size), std::move(buffer)};
    }

    /// One command on the open connection; nullptr after an I/O failure.
    Reply call(std::initializer_list<std::string_view> args) {
        out.clear();
        out.command(args);
        return send() ? read_reply() : nullptr;
    }

    /// True when reply is of the expected type; otherwise records why and returns false.
    bool expect(const redisReply& reply, int type, std::string_view command) {
        if (reply.type == type) {
            return true;
        }
        if (reply.type == REDIS_REPLY_ERROR) {
            fail_reply(fmt::format("{} failed: {}", command, reply_text(reply)));
        } else {
            fail_reply(fmt::format("{} got a reply of type {}, expected {}", command,
                                   type_name(reply.type), type_name(type)));
        }
        return false;
    }

    std::optional<Bytes> value_of(const redisReply& reply) {
        if (reply.type == REDIS_REPLY_NIL || !expect(reply, REDIS_REPLY_STRING, "GET")) {
            return std::nullopt;
        }
        const auto* data = reinterpret_cast<const std::uint8_t*>(reply.str);
        return Bytes(data, data + reply.len);
    }

    RedisOptions options;
    mutable std::mutex mutex;
    redisContext* context = nullptr;
    bool ever_connected = false;
    bool in_outage = false;  // a warning was logged and no connect has succeeded since
    std::chrono::milliseconds backoff{0};
    Clock::time_point retry_at{};
    std::string last_error;
    CommandBuffer out;  // reused so a small command allocates nothing
};

RedisClient::RedisClient(RedisOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

RedisClient::~RedisClient() = default;

bool RedisClient::available() {
    const std::lock_guard lock(impl_->mutex);
    return impl_->connected();
}

std::optional<std::vector<std::uint8_t>> RedisClient::get(const std::string& key) {
    auto shared = get_shared(key);
    if (!shared) {
        return std::nullopt;
    }
    return std::vector<std::uint8_t>(shared->bytes.begin(), shared->bytes.end());
}

std::optional<SharedBytes> RedisClient::get_shared(const std::string& key) {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected()) {
        return std::nullopt;
    }
    const redisReader& reader = *impl_->context->reader;
    if (reader.len > reader.pos) {
        // hiredis holds bytes of a reply nobody asked for: the connection is out of step.
        impl_->fail_io(fmt::format("the connection to Redis at {} is out of step", impl_->where()));
        return std::nullopt;
    }
    impl_->out.clear();
    impl_->out.command({"GET", key});
    if (!impl_->send()) {
        return std::nullopt;
    }
    return impl_->read_get_reply(key);
}

std::vector<std::optional<std::vector<std::uint8_t>>> RedisClient::mget(
    std::span<const std::string> keys) {
    std::vector<std::optional<Bytes>> values(keys.size());
    const std::lock_guard lock(impl_->mutex);
    if (keys.empty() || !impl_->connected()) {
        return values;
    }
    for (std::size_t first = 0; first < keys.size(); first += kPipelineBatch) {
        const std::size_t end = std::min(keys.size(), first + kPipelineBatch);
        for (std::size_t i = first; i < end; ++i) {
            impl_->out.command({"GET", keys[i]});
        }
        if (!impl_->send()) {
            return values;
        }
        // Each reply goes to its own index; after a broken read the connection is gone, so the
        // rest stay misses and no later call can read this pipeline's replies.
        for (std::size_t i = first; i < end; ++i) {
            const Reply reply = impl_->read_reply();
            if (!reply) {
                return values;
            }
            values[i] = impl_->value_of(*reply);
        }
    }
    return values;
}

bool RedisClient::set(const std::string& key, std::span<const std::uint8_t> value,
                      std::chrono::seconds ttl) {
    const std::lock_guard lock(impl_->mutex);
    if (value.size() > kMaxValueBytes) {
        impl_->fail_reply(fmt::format("value of {} bytes for '{}' is over Redis's limit of {}",
                                      value.size(), key, kMaxValueBytes));
        return false;
    }
    if (ttl.count() < 0) {
        impl_->fail_reply(fmt::format("negative TTL {} s for '{}'", ttl.count(), key));
        return false;
    }
    if (!impl_->connected()) {
        return false;
    }
    Reply reply;
    if (ttl.count() == 0) {
        reply = impl_->call({"SET", key, as_chars(value)});
    } else {
        const std::string seconds = std::to_string(ttl.count());
        reply = impl_->call({"SET", key, as_chars(value), "EX", seconds});
    }
    return reply && impl_->expect(*reply, REDIS_REPLY_STATUS, "SET");
}

bool RedisClient::del(const std::string& key) {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected()) {
        return false;
    }
    const Reply reply = impl_->call({"UNLINK", key});
    return reply && impl_->expect(*reply, REDIS_REPLY_INTEGER, "UNLINK");
}

std::size_t RedisClient::del_prefix(const std::string& prefix) {
    const std::lock_guard lock(impl_->mutex);
    if (prefix.empty()) {
        impl_->fail_reply("del_prefix refuses an empty prefix (it would remove every key)");
        return 0;
    }
    if (!impl_->connected()) {
        return 0;
    }
    const std::string pattern = escape_glob(prefix) + "*";
    std::string cursor = "0";
    std::size_t removed = 0;
    do {
        const Reply scan = impl_->call({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount});
        if (!scan || !impl_->expect(*scan, REDIS_REPLY_ARRAY, "SCAN")) {
            return removed;
        }
        if (scan->elements != 2 || scan->element[0]->type != REDIS_REPLY_STRING ||
            scan->element[1]->type != REDIS_REPLY_ARRAY) {
            impl_->fail_reply("SCAN reply is not [cursor, keys]");
            return removed;
        }
        cursor = reply_text(*scan->element[0]);
        const redisReply& found = *scan->element[1];
        if (found.elements == 0) {
            continue;
        }
        impl_->out.begin(found.elements + 1);
        impl_->out.add("UNLINK");
        for (std::size_t i = 0; i < found.elements; ++i) {
            impl_->out.add(reply_text(*found.element[i]));
        }
        if (!impl_->send()) {
            return removed;
        }
        const Reply unlinked = impl_->read_reply();
        if (!unlinked || !impl_->expect(*unlinked, REDIS_REPLY_INTEGER, "UNLINK")) {
            return removed;
        }
        removed += static_cast<std::size_t>(std::max(unlinked->integer, 0LL));
    } while (cursor != "0");
    return removed;
}

bool RedisClient::incr_by(const std::string& key, long long by) {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected()) {
        return false;
    }
    const std::string amount = std::to_string(by);
    const Reply reply = impl_->call({"INCRBY", key, amount});
    return reply && impl_->expect(*reply, REDIS_REPLY_INTEGER, "INCRBY");
}

std::optional<long long> RedisClient::get_int(const std::string& key) {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected()) {
        return std::nullopt;
    }
    const Reply reply = impl_->call({"GET", key});
    if (!reply || reply->type == REDIS_REPLY_NIL ||
        !impl_->expect(*reply, REDIS_REPLY_STRING, "GET")) {
        return std::nullopt;
    }
    const std::string_view text = reply_text(*reply);
    long long number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc{} || end != text.data() + text.size()) {
        impl_->fail_reply(fmt::format("'{}' does not hold an integer", key));
        return std::nullopt;
    }
    return number;
}

std::optional<long long> RedisClient::ttl(const std::string& key) {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->connected()) {
        return std::nullopt;
    }
    const Reply reply = impl_->call({"TTL", key});
    if (!reply || !impl_->expect(*reply, REDIS_REPLY_INTEGER, "TTL")) {
        return std::nullopt;
    }
    if (reply->integer == -2) {  // no such key
        return std::nullopt;
    }
    return reply->integer;
}

std::string RedisClient::last_error() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->last_error;
}

bool RedisClient::ever_connected() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->ever_connected;
}

#else  // !TRADPAL_HAS_REDIS

namespace {

constexpr std::string_view kNoRedis =
    "this build has no Redis support (hiredis was not found at build time, or "
    "TRADPAL_WITH_REDIS=OFF); install libhiredis-dev and reconfigure to enable the Redis cache "
    "level";

void warn_once() {
    static std::once_flag warned;
    std::call_once(warned, [] { spdlog::warn("Redis cache level unavailable: {}", kNoRedis); });
}

}  // namespace

struct RedisClient::Impl {
    RedisOptions options;
};

RedisClient::RedisClient(RedisOptions options)
    : impl_(std::make_unique<Impl>(Impl{std::move(options)})) {}

RedisClient::~RedisClient() = default;

bool RedisClient::available() {
    warn_once();
    return false;
}

std::optional<std::vector<std::uint8_t>> RedisClient::get(const std::string& /*key*/) {
    warn_once();
    return std::nullopt;
}

std::optional<SharedBytes> RedisClient::get_shared(const std::string& /*key*/) {
    warn_once();
    return std::nullopt;
}

std::vector<std::optional<std::vector<std::uint8_t>>> RedisClient::mget(
    std::span<const std::string> keys) {
    warn_once();
    return std::vector<std::optional<std::vector<std::uint8_t>>>(keys.size());
}

bool RedisClient::set(const std::string& /*key*/, std::span<const std::uint8_t> /*value*/,
                      std::chrono::seconds /*ttl*/) {
    warn_once();
    return false;
}

bool RedisClient::del(const std::string& /*key*/) {
    warn_once();
    return false;
}

std::size_t RedisClient::del_prefix(const std::string& /*prefix*/) {
    warn_once();
    return 0;
}

bool RedisClient::incr_by(const std::string& /*key*/, long long /*by*/) {
    warn_once();
    return false;
}

std::optional<long long> RedisClient::get_int(const std::string& /*key*/) {
    warn_once();
    return std::nullopt;
}

std::optional<long long> RedisClient::ttl(const std::string& /*key*/) {
    warn_once();
    return std::nullopt;
}

std::string RedisClient::last_error() const {
    return std::string(kNoRedis);
}

bool RedisClient::ever_connected() const {
    return false;
}

#endif  // TRADPAL_HAS_REDIS

}  // namespace tradpal::cache
