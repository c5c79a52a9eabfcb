// SPDX-License-Identifier: Apache-2.0
// Long work over HTTP: a bounded queue in front of a fixed pool of worker threads. A job
// reports progress, stops cooperatively when cancelled (leaving no result), and its result is
// kept for a TTL in the cache. Jobs belong to the server, not to the connection that
// submitted them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <tradpal/core/result.hpp>

namespace tradpal::cache {
class Cache;
}

namespace tradpal::server {

enum class JobState { Queued, Running, Done, Failed, Cancelled };
std::string_view to_string(JobState state) noexcept;

/// Thrown by JobControl::check() once the job is cancelled: unwinds the job's work.
class JobCancelled : public std::exception {
public:
    const char* what() const noexcept override { return "cancelled"; }
};

/// What a running job sees: its cancel flag and its progress.
class JobControl {
public:
    /// Throws: JobCancelled once the job has been cancelled.
    void check() const;
    bool cancelled() const noexcept { return cancel_.load(std::memory_order_relaxed); }
    /// done out of total, clamped to [0, 1].
    void progress(double fraction) noexcept;
    void message(std::string text);

private:
    friend class JobQueue;
    std::atomic<bool> cancel_{false};
    std::atomic<double> progress_{0};
    mutable std::mutex mutex_;
    std::string message_;
};

/// The work of a job: returns its result document. Throws tradpal::Exception or ApiError for
/// a failure, JobCancelled (through JobControl::check) when cancelled.
using JobWork = std::function<nlohmann::json(JobControl&)>;

/// A snapshot of a job for /v1/jobs.
struct JobInfo {
    std::string id;
    std::string kind;
    JobState state = JobState::Queued;
    double progress = 0;
    std::string message;
    std::int64_t submitted_ns = 0;
    std::optional<std::int64_t> started_ns;
    std::optional<std::int64_t> finished_ns;
    std::optional<std::string> error_code;  ///< failed jobs

    nlohmann::json to_json() const;
};

struct JobQueueOptions {
    int workers = 2;
    std::size_t capacity = 16;  ///< queued jobs (not counting running ones)
    std::int64_t ttl_s = 3600;  ///< finished jobs and results are kept this long
};

class JobQueue {
public:
    /// Results go to `cache` (namespace "jobs", TTL options.ttl_s), which must outlive the
    /// queue.
    JobQueue(JobQueueOptions options, cache::Cache& cache);
    /// Cancels everything left and joins the workers.
    ~JobQueue();
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    /// Queues a job. Throws: ApiError 429 queue_full (with Retry-After) when the queue is full,
    /// 503 unavailable while shutting down.
    JobInfo submit(std::string kind, JobWork work);
    std::optional<JobInfo> get(const std::string& id) const;
    /// Every known job, newest first.
    std::vector<JobInfo> list() const;
    /// The result of a done job. Throws: ApiError 404 (unknown or expired), 409 (not done).
    nlohmann::json result(const std::string& id) const;
    /// Cancels a queued or running job (a running one stops at its next check). Returns the
    /// job as it is now. Throws: ApiError 404, 409 when it has already ended.
    JobInfo cancel(const std::string& id);

    /// Stops taking jobs, cancels the queued ones, waits up to `grace` for the running ones
    /// and then cancels them too; returns when every worker has stopped.
    void shutdown(std::chrono::milliseconds grace);

    std::size_t queued() const;
    std::size_t running() const;
    /// Jobs that ended in each state since the start, for /metrics.
    std::map<std::string, std::uint64_t> finished_counts() const;

private:
    struct Job {
        JobInfo info;
        JobWork work;
        JobControl control;
    };

    void worker();
    void run(const std::shared_ptr<Job>& job);
    /// Drops finished jobs older than the TTL. Callers hold mutex_.
    void expire(std::int64_t now_ns);
    std::shared_ptr<Job> find(const std::string& id) const;
    JobInfo snapshot(const Job& job) const;

    JobQueueOptions options_;
    cache::Cache& cache_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;      // workers: a job queued or stopping
    std::condition_variable finished_;  // shutdown: a job ended
    std::deque<std::shared_ptr<Job>> queue_;
    std::map<std::string, std::shared_ptr<Job>> jobs_;
    std::map<std::string, std::uint64_t> ended_;
    std::size_t running_ = 0;
    std::uint64_t next_id_ = 1;
    bool accepting_ = true;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

}  // namespace tradpal::server
