// SPDX-License-Identifier: Apache-2.0
// `tradpal serve` as a process: it prints where it listens, answers, and on SIGTERM stops
// taking work, reports not ready, records the job it could not finish as cancelled and exits 0.
#include <csignal>
#include <cstdio>
#include <thread>

#include <fcntl.h>
#include <httplib.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tradpal/data/store.hpp>

#include "cli_run.hpp"

extern char** environ;

namespace tradpal {
namespace {

using nlohmann::json;

/// A running `tradpal serve`, its stdout read until it says where it listens.
class ServeProcess {
public:
    ServeProcess(const std::vector<std::string>& args, const std::filesystem::path& home,
                 const std::filesystem::path& err) {
        int fds[2];
        EXPECT_EQ(::pipe(fds), 0);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(TRADPAL_CLI));
        for (const std::string& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        // A clean HOME and no TRADPAL_* variables, so no user settings are read.
        std::vector<std::string> env_text = {"HOME=" + home.string()};
        for (char** e = environ; *e != nullptr; ++e) {
            if (!std::string_view(*e).starts_with("TRADPAL_") &&
                !std::string_view(*e).starts_with("HOME=")) {
                env_text.emplace_back(*e);
            }
        }
        std::vector<char*> env;
        for (std::string& e : env_text) {
            env.push_back(e.data());
        }
        env.push_back(nullptr);
        EXPECT_EQ(::posix_spawn(&pid_, TRADPAL_CLI, &actions, nullptr, argv.data(), env.data()), 0);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        out_ = ::fdopen(fds[0], "r");
        char line[512];
        if (std::fgets(line, sizeof line, out_) != nullptr) {
            first_line_ = line;
        }
        const auto colon = first_line_.rfind(':');
        if (first_line_.starts_with("listening on http://") && colon != std::string::npos) {
            port_ = std::stoi(first_line_.substr(colon + 1));
        }
    }
    ~ServeProcess() {
        if (pid_ > 0 && !waited_) {
            ::kill(pid_, SIGKILL);
            wait();
        }
        if (out_ != nullptr) {
            std::fclose(out_);
        }
    }
    int port() const { return port_; }
    const std::string& first_line() const { return first_line_; }
    void signal(int sig) const { ::kill(pid_, sig); }
    /// The exit code (-1 when killed by a signal).
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        waited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    pid_t pid_ = -1;
    FILE* out_ = nullptr;
    std::string first_line_;
    int port_ = 0;
    bool waited_ = false;
};

class ServeCliTest : public CliTest {
protected:
    std::vector<std::string> serve_args(std::vector<std::string> more,
                                        const std::string& grace_s = "30") {
        std::vector<std::string> args = {
            "--store", store().string(),
            "--set",   "cache.file_dir=" + (dir_.path() / "cache").string(),
            "--set",   "server.token=sigterm-token",
            "--set",   "server.grace_s=" + grace_s,
            "serve",   "--port",
            "0"};
        args.insert(args.end(), more.begin(), more.end());
        return args;
    }
};

TEST_F(ServeCliTest, PrintsWhereItListensAndServes) {
    ServeProcess p(serve_args({"--services", "indicators"}), dir_.path(), dir_.path() / "err.txt");
    ASSERT_GT(p.port(), 0) << p.first_line();
    EXPECT_TRUE(p.first_line().starts_with("listening on http://127.0.0.1:"));
    httplib::Client c("127.0.0.1", p.port());
    const auto health = c.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    // Only the indicators service: the data routes are not there.
    const auto series = c.Get("/v1/series");
    ASSERT_TRUE(series);
    EXPECT_EQ(series->status, 404);
    const auto ind = c.Get("/v1/indicators");
    ASSERT_TRUE(ind);
    EXPECT_EQ(ind->status, 200);
    p.signal(SIGINT);
    EXPECT_EQ(p.wait(), 0);
    // The token never reaches the log.
    EXPECT_EQ(read_text_file(dir_.path() / "err.txt").value_or("").find("sigterm-token"),
              std::string::npos);
}

TEST_F(ServeCliTest, ConfigShowHidesTheToken) {
    for (const char* args : {"config show", "--json config show"}) {
        const CliRun r = tradpal(args, "TRADPAL_SERVER_TOKEN=s3cret-value-42");
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.out.find("s3cret-value-42"), std::string::npos) << args;
        EXPECT_NE(r.out.find("(set)"), std::string::npos) << args;
    }
}

TEST_F(ServeCliTest, SigtermDrainsAndCancelsWhatCannotFinish) {
    {
        auto w = data::SeriesWriter::open(data::Store(store()), {"csv", "LONG", Timeframe("1h")},
                                          data::SeriesWriter::Mode::Replace)
                     .value();
        w.stage(data_testing::synthetic_ohlcv(200'000, 3).view());
        w.commit();
    }
    // The sweep runs for longer than the one second of grace.
    ServeProcess p(serve_args({"--services", "backtest"}, "1"), dir_.path(),
                   dir_.path() / "err.txt");
    ASSERT_GT(p.port(), 0) << p.first_line();
    httplib::Client c("127.0.0.1", p.port());
    const auto r = c.Post("/v1/sweeps", {{"Authorization", "Bearer sigterm-token"}},
                          R"J({"series":{"source":"csv","symbol":"LONG","timeframe":"1h"},
            "grid":{"fast":"2:60:1","slow":"61:460:1"}})J",
                          "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
    const std::string id = json::parse(r->body)["job"]["id"];
    for (int i = 0; i < 500; ++i) {
        const auto j = c.Get("/v1/jobs/" + id);
        if (j && json::parse(j->body)["job"]["state"] == "running") {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    p.signal(SIGTERM);
    // While draining: not ready, and no new jobs.
    bool saw_not_ready = false;
    for (int i = 0; i < 100 && !saw_not_ready; ++i) {
        const auto ready = c.Get("/ready");
        saw_not_ready = ready && ready->status == 503;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(saw_not_ready);
    EXPECT_EQ(p.wait(), 0);
    const std::string log = read_text_file(dir_.path() / "err.txt").value_or("");
    EXPECT_NE(log.find(fmt::format("job {} (sweep) cancelled", id)), std::string::npos) << log;
}

}  // namespace
}  // namespace tradpal
