// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>

#include <tradpal/data_testing/fake_http.hpp>

namespace tradpal::data_testing {
namespace {

// Each kept-alive connection holds a worker, so this bounds the concurrent clients.
constexpr std::size_t kWorkers = 32;
constexpr std::size_t kRequestsPerConnection = 10'000;
constexpr std::chrono::seconds kStartTimeout{10};

}  // namespace

struct FakeServer::Impl {
    Handler handler;
    httplib::Server server;
    std::thread thread;
    int port = -1;

    mutable std::mutex mutex;  // guards seen
    std::vector<SeenRequest> seen;

    std::mutex stop_mutex;  // guards stopping; delayed replies wait on stop_cv
    std::condition_variable stop_cv;
    bool stopping = false;

    void answer(const httplib::Request& request, httplib::Response& response) {
        SeenRequest seen_request{
            request.path, {}, std::chrono::steady_clock::now(), request.remote_port};
        for (const auto& [name, value] : request.params) {
            seen_request.query.insert_or_assign(name, value);
        }
        {
            const std::lock_guard lock(mutex);
            seen.push_back(seen_request);
        }
        FakeReply reply = handler(seen_request);
        if (reply.delay.count() > 0) {
            // Wakes early when the server stops, so a stalled reply does not hold up a test.
            std::unique_lock lock(stop_mutex);
            stop_cv.wait_for(lock, reply.delay, [this] { return stopping; });
        }
        response.status = reply.status;
        for (const auto& [name, value] : reply.headers) {
            response.set_header(name, value);
        }
        if (!reply.cut) {
            response.set_content(reply.body, reply.content_type);
            return;
        }
        // A declared length with half the bytes sent: returning false makes httplib drop the
        // connection, which the client sees as a truncated body.
        auto body = std::make_shared<const std::string>(std::move(reply.body));
        response.set_content_provider(body->size(), reply.content_type,
                                      [body](std::size_t, std::size_t, httplib::DataSink& sink) {
                                          sink.write(body->data(), body->size() / 2);
                                          return false;
                                      });
    }
};

FakeServer::FakeServer(Handler handler) : impl_(std::make_unique<Impl>()) {
    Impl& impl = *impl_;
    impl.handler = std::move(handler);
    // httplib takes ownership of the queue it is given.
    impl.server.new_task_queue = [] {
        return new httplib::ThreadPool(kWorkers);
    };
    impl.server.set_keep_alive_max_count(kRequestsPerConnection);
    // httplib sends headers and body in separate writes; with Nagle on, the body waits 40 ms for
    // the client's delayed ACK.
    impl.server.set_tcp_nodelay(true);
    impl.server.Get(".*", [&impl](const httplib::Request& request, httplib::Response& response) {
        impl.answer(request, response);
    });
    impl.port = impl.server.bind_to_any_port("127.0.0.1");
    if (impl.port < 0) {
        throw std::runtime_error("FakeServer: cannot bind a port on 127.0.0.1");
    }
    impl.thread = std::thread([&impl] {
        // The worker threads inherit this mask. httplib writes without MSG_NOSIGNAL, so a client
        // that hangs up (a timeout test) would otherwise kill the process with SIGPIPE.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        impl.server.listen_after_bind();
    });
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!impl.server.is_running()) {
        if (std::chrono::steady_clock::now() > deadline) {
            impl.server.stop();
            impl.thread.join();
            throw std::runtime_error("FakeServer: the server did not start");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

FakeServer::~FakeServer() {
    {
        const std::lock_guard lock(impl_->stop_mutex);
        impl_->stopping = true;
    }
    impl_->stop_cv.notify_all();
    impl_->server.stop();
    impl_->thread.join();
}

std::string FakeServer::url() const {
    return fmt::format("http://127.0.0.1:{}", impl_->port);
}

std::vector<SeenRequest> FakeServer::requests() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->seen;
}

std::size_t FakeServer::max_in_window(std::chrono::milliseconds window) const {
    std::vector<std::chrono::steady_clock::time_point> times;
    {
        const std::lock_guard lock(impl_->mutex);
        times.reserve(impl_->seen.size());
        for (const auto& request : impl_->seen) {
            times.push_back(request.at);
        }
    }
    std::sort(times.begin(), times.end());
    std::size_t most = 0;
    std::size_t first = 0;
    // Windows are half-open, [t, t + window), each starting at an arrival.
    for (std::size_t last = 0; last < times.size(); ++last) {
        while (times[last] - times[first] >= window) {
            ++first;
        }
        most = std::max(most, last - first + 1);
    }
    return most;
}

}  // namespace tradpal::data_testing
