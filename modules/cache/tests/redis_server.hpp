// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace tradpal::cache_testing {

/// A loopback TCP port that was free a moment ago (bound to port 0, then released).
int free_loopback_port();

/// A private redis-server for tests: loopback only, no persistence, its own temporary directory.
/// The server is killed with the test process if that dies first (PR_SET_PDEATHSIG), so start
/// and stop it from one thread that outlives it (the test's main thread).
class RedisServer {
public:
    static constexpr const char* kExecutable = "/usr/bin/redis-server";

    /// True when redis-server is installed at kExecutable.
    static bool installed();

    /// Picks a free port and makes the temporary directory; does not start the server.
    RedisServer();
    /// Stops the server and removes its directory.
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// Starts redis-server (again on the same port after stop()); true once it answers PING,
    /// false if it did not within 5 s (log() says why).
    bool start();
    /// SIGTERM, then SIGKILL after 2 s; waits for the process. Does nothing when not running.
    void stop();
    /// SIGSTOP: the server keeps its sockets but answers nothing (a hung machine).
    void freeze();
    /// SIGCONT after freeze().
    void thaw();

    int port() const { return port_; }
    bool running() const { return pid_ > 0; }
    /// The server's own log, for failure messages.
    std::string log() const;

private:
    bool start_once();

    int port_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    bool started_before_ = false;
};

/// A bare TCP connection that speaks the Redis protocol, for what RedisClient does not offer
/// (RPUSH, CONFIG SET, DEBUG SLEEP). Replies are read one line at a time, so use it only for
/// commands whose reply is one line (status, error, integer).
class RawConnection {
public:
    /// Connects to 127.0.0.1:port; ok() is false if that failed.
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool ok() const { return fd_ >= 0; }
    /// Writes one command; false if the connection is broken.
    bool send(std::initializer_list<std::string_view> args);
    /// The next reply line without CRLF ("+OK", ":3", "-ERR ..."); empty on timeout or EOF.
    std::string read_line(std::chrono::milliseconds timeout);
    /// send() then read_line().
    std::string command(std::initializer_list<std::string_view> args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(2));

private:
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace tradpal::cache_testing
