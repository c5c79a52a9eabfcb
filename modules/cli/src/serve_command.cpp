// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <tradpal/server/server.hpp>

#include "context.hpp"

namespace tradpal::cli {
namespace {

// Where the signal handler writes (async-signal-safe: one write()).
int g_signal_fd = -1;

void on_signal(int sig) {
    const auto byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] const auto n = ::write(g_signal_fd, &byte, 1);
}

struct ServeArgs {
    std::string services = "all";
    std::optional<int> port;
    std::string bind;
    std::string token_env = "TRADPAL_SERVER_TOKEN";
};

int run_serve(Context& ctx, const ServeArgs& a) {
    server::ServerOptions options;
    options.settings = ctx.settings.values;
    ServerSettings& s = options.settings.server;
    if (a.port) {
        s.port = *a.port;
    }
    if (!a.bind.empty()) {
        s.bind = a.bind;
    }
    if (a.token_env != "TRADPAL_SERVER_TOKEN") {
        const char* token = std::getenv(a.token_env.c_str());
        if (token == nullptr || *token == '\0') {
            throw Exception(ErrorCode::InvalidArgument,
                            fmt::format("--token-env {}: the variable is not set", a.token_env));
        }
        s.token = token;
    }
    options.services = server::parse_services(a.services).value();
    options.threads = ctx.threads();
    if (s.token.empty()) {
        spdlog::warn(
            "no API token ([server] token or TRADPAL_SERVER_TOKEN): routes that change "
            "anything or start a job answer 401");
    }

    const std::string bind = s.bind;
    const std::chrono::seconds grace(s.grace_s);
    server::Server srv(std::move(options));
    const int port = srv.bind().value();

    // SIGTERM and SIGINT only write their number to a pipe (whichever thread they land on);
    // one thread reads it and drains the server.
    int fds[2];
    if (::pipe(fds) != 0) {
        throw Exception(ErrorCode::IoError, "cannot create the signal pipe");
    }
    g_signal_fd = fds[1];
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
    std::thread waiter([&] {
        unsigned char sig = 0;
        while (::read(fds[0], &sig, 1) < 0 && errno == EINTR) {
        }
        if (sig != 0) {
            spdlog::info("{}: draining (running jobs may take {} s)",
                         sig == SIGTERM ? "SIGTERM" : "SIGINT", grace.count());
        }
        srv.shutdown(grace);
    });
    std::cout << fmt::format("listening on http://{}:{}", bind, port) << std::endl;
    srv.serve();
    // The listener may also stop on its own (an error): wake the waiter either way.
    on_signal(0);
    waiter.join();
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    g_signal_fd = -1;
    ::close(fds[0]);
    ::close(fds[1]);
    spdlog::info("stopped");
    return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, std::vector<Command>& commands) {
    auto a = std::make_shared<ServeArgs>();
    CLI::App* c = app.add_subcommand(
        "serve",
        "HTTP API and dashboard (docs/API.md); prints `listening on http://HOST:PORT`, drains on "
        "SIGTERM");
    c->add_option("--services", a->services,
                  "Services to offer: all, or some of data,indicators,backtest,ml,web (health, "
                  "ready and metrics always)");
    c->add_option("--port", a->port, "Port ([server] port, 8080); 0 picks a free one");
    c->add_option("--bind", a->bind, "Address ([server] bind, 127.0.0.1)");
    c->add_option("--token-env", a->token_env,
                  "Environment variable holding the API token (default TRADPAL_SERVER_TOKEN)");
    commands.push_back({c, [a](Context& ctx) {
                            return run_serve(ctx, *a);
                        }});
}

}  // namespace tradpal::cli
