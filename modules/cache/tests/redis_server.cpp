// SPDX-License-Identifier: Apache-2.0
#include "redis_server.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tradpal::cache_testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

std::filesystem::path make_temp_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tradpal-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed for " + pattern);
    }
    return pattern;
}

}  // namespace

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("socket() failed");
    }
    sockaddr_in address = loopback(0);
    socklen_t size = sizeof(address);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot bind a loopback port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

bool RedisServer::installed() {
    return ::access(kExecutable, X_OK) == 0;
}

RedisServer::RedisServer() : port_(free_loopback_port()), dir_(make_temp_dir()) {}

RedisServer::~RedisServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

bool RedisServer::start() {
    if (running()) {
        return true;
    }
    // The port was only free when picked; if another process took it before the first start,
    // move to a new one. A restart must keep its port, so it gets no second try.
    const int tries = started_before_ ? 1 : 3;
    for (int i = 0; i < tries; ++i) {
        if (start_once()) {
            started_before_ = true;
            return true;
        }
        if (!started_before_) {
            port_ = free_loopback_port();
        }
    }
    return false;
}

bool RedisServer::start_once() {
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.string();
    const std::string log_path = (dir_ / "redis.log").string();
    std::vector<std::string> args = {kExecutable, "--port",    port, "--bind",
                                     "127.0.0.1", "--save",    "",   "--appendonly",
                                     "no",        "--dir",     dir,  "--daemonize",
                                     "no",        "--logfile", "",   "--enable-debug-command",
                                     "local"};
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);

    const pid_t parent = ::getpid();
    const pid_t child = ::fork();
    if (child < 0) {
        return false;
    }
    if (child == 0) {
        // Only async-signal-safe calls between fork and exec.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            ::dup2(log, STDOUT_FILENO);
            ::dup2(log, STDERR_FILENO);
        }
        ::execv(kExecutable, argv.data());
        ::_exit(127);
    }
    pid_ = child;

    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;  // exited: port taken, bad option, ...
            return false;
        }
        RawConnection probe(port_);
        if (probe.ok() && probe.command({"PING"}, std::chrono::milliseconds(200)) == "+PONG") {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
}

void RedisServer::stop() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGCONT);  // a frozen server would not act on SIGTERM
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    int status = 0;
    while (Clock::now() < deadline) {
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

void RedisServer::freeze() {
    if (pid_ > 0) {
        ::kill(pid_, SIGSTOP);
    }
}

void RedisServer::thaw() {
    if (pid_ > 0) {
        ::kill(pid_, SIGCONT);
    }
}

std::string RedisServer::log() const {
    std::ifstream in(dir_ / "redis.log");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

RawConnection::RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        return;
    }
    const sockaddr_in address = loopback(port);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

RawConnection::~RawConnection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool RawConnection::send(std::initializer_list<std::string_view> args) {
    if (fd_ < 0) {
        return false;
    }
    std::string text;
    text.append("*").append(std::to_string(args.size())).append("\r\n");
    for (const std::string_view arg : args) {
        text.append("$").append(std::to_string(arg.size())).append("\r\n");
        text.append(arg).append("\r\n");
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t sent = ::send(fd_, text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return false;
        }
        done += static_cast<std::size_t>(sent);
    }
    return true;
}

std::string RawConnection::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (fd_ >= 0) {
        if (const auto end = buffer_.find("\r\n"); end != std::string::npos) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            return line;
        }
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return {};
        }
        pollfd entry{.fd = fd_, .events = POLLIN, .revents = 0};
        if (::poll(&entry, 1, static_cast<int>(left.count())) <= 0) {
            continue;  // timeout (checked above) or EINTR
        }
        char chunk[4096];
        const ssize_t got = ::recv(fd_, chunk, sizeof(chunk), 0);
        if (got <= 0) {
            return {};
        }
        buffer_.append(chunk, static_cast<std::size_t>(got));
    }
    return {};
}

std::string RawConnection::command(std::initializer_list<std::string_view> args,
                                   std::chrono::milliseconds timeout) {
    return send(args) ? read_line(timeout) : std::string{};
}

}  // namespace tradpal::cache_testing
