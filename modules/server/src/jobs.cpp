// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <tradpal/cache/cache.hpp>
#include <tradpal/core/timestamp.hpp>
#include <tradpal/server/http.hpp>
#include <tradpal/server/jobs.hpp>

namespace tradpal::server {
namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

cache::Key result_key(const std::string& id) {
    return cache::KeyBuilder("jobs").add("id", id).build();
}

// Random ids: processes sharing Redis or the file cache never hand out the same one.
std::string new_job_id() {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    const std::lock_guard lock(mutex);
    return fmt::format("job-{:016x}", rng());
}

}  // namespace

std::string_view to_string(JobState state) noexcept {
    switch (state) {
        case JobState::Queued:
            return "queued";
        case JobState::Running:
            return "running";
        case JobState::Done:
            return "done";
        case JobState::Failed:
            return "failed";
        case JobState::Cancelled:
            return "cancelled";
    }
    return "failed";
}

void JobControl::check() const {
    if (cancelled()) {
        throw JobCancelled();
    }
}

void JobControl::progress(double fraction) noexcept {
    progress_.store(std::clamp(fraction, 0.0, 1.0), std::memory_order_relaxed);
}

void JobControl::message(std::string text) {
    const std::lock_guard lock(mutex_);
    message_ = std::move(text);
}

nlohmann::json JobInfo::to_json() const {
    const auto iso = [](const std::optional<std::int64_t>& ns) {
        return ns ? nlohmann::json(format_iso(Timestamp(*ns))) : nlohmann::json(nullptr);
    };
    nlohmann::json j = {{"id", id},
                        {"kind", kind},
                        {"state", to_string(state)},
                        {"progress", progress},
                        {"message", message},
                        {"submitted", format_iso(Timestamp(submitted_ns))},
                        {"started", iso(started_ns)},
                        {"finished", iso(finished_ns)}};
    if (error_code) {
        j["error_code"] = *error_code;
    }
    return j;
}

JobQueue::JobQueue(JobQueueOptions options, cache::Cache& cache)
    : options_(options), cache_(cache) {
    for (int i = 0; i < std::max(1, options_.workers); ++i) {
        workers_.emplace_back([this] { worker(); });
    }
}

JobQueue::~JobQueue() {
    shutdown(std::chrono::milliseconds(0));
}

JobInfo JobQueue::submit(std::string kind, JobWork work) {
    auto job = std::make_shared<Job>();
    job->info.id = new_job_id();
    job->info.kind = std::move(kind);
    job->info.submitted_ns = now_ns();
    job->work = std::move(work);
    const std::lock_guard lock(mutex_);
    if (!accepting_) {
        throw ApiError(503, "unavailable", "the server is shutting down");
    }
    expire(job->info.submitted_ns);
    if (queue_.size() >= options_.capacity) {
        ApiError e(429, "queue_full",
                   fmt::format("{} jobs are waiting already; try again later", queue_.size()));
        e.retry_after_s = 5;
        throw e;
    }
    queue_.push_back(job);
    jobs_[job->info.id] = job;
    wake_.notify_one();
    return snapshot(*job);
}

JobInfo JobQueue::snapshot(const Job& job) const {
    JobInfo info = job.info;
    if (info.state == JobState::Running) {
        info.progress = job.control.progress_.load(std::memory_order_relaxed);
    }
    const std::lock_guard lock(job.control.mutex_);
    info.message = job.control.message_;
    return info;
}

std::shared_ptr<JobQueue::Job> JobQueue::find(const std::string& id) const {
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) {
        throw ApiError(404, "not_found", fmt::format("no job '{}' (or it has expired)", id));
    }
    return it->second;
}

std::optional<JobInfo> JobQueue::get(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    const auto it = jobs_.find(id);
    if (it == jobs_.end()) {
        return std::nullopt;
    }
    return snapshot(*it->second);
}

std::vector<JobInfo> JobQueue::list() const {
    const std::lock_guard lock(mutex_);
    std::vector<JobInfo> all;
    for (const auto& [id, job] : jobs_) {
        all.push_back(snapshot(*job));
    }
    std::sort(all.begin(), all.end(), [](const JobInfo& a, const JobInfo& b) {
        return a.submitted_ns != b.submitted_ns ? a.submitted_ns > b.submitted_ns : a.id < b.id;
    });
    return all;
}

nlohmann::json JobQueue::result(const std::string& id) const {
    {
        const std::lock_guard lock(mutex_);
        const auto job = find(id);
        if (job->info.state != JobState::Done) {
            throw ApiError(
                409, "conflict",
                fmt::format("job '{}' is {}: no result", id, to_string(job->info.state)));
        }
    }
    const auto value = cache_.get(result_key(id));
    const cache::Column* column = value ? value->find("result") : nullptr;
    if (column == nullptr) {
        throw ApiError(404, "not_found", fmt::format("the result of job '{}' has expired", id));
    }
    return nlohmann::json::parse(column->as_text());
}

JobInfo JobQueue::cancel(const std::string& id) {
    std::unique_lock lock(mutex_);
    const auto job = find(id);
    switch (job->info.state) {
        case JobState::Queued:
            std::erase(queue_, job);
            job->info.state = JobState::Cancelled;
            job->info.finished_ns = now_ns();
            ++ended_["cancelled"];
            break;
        case JobState::Running:
            // The worker records the end when the work stops at its next check.
            job->control.cancel_.store(true);
            break;
        default:
            throw ApiError(409, "conflict",
                           fmt::format("job '{}' has ended ({})", id, to_string(job->info.state)));
    }
    return snapshot(*job);
}

void JobQueue::worker() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            job = queue_.front();
            queue_.pop_front();
            job->info.state = JobState::Running;
            job->info.started_ns = now_ns();
            ++running_;
        }
        run(job);
    }
}

void JobQueue::run(const std::shared_ptr<Job>& job) {
    JobState state = JobState::Done;
    std::optional<std::string> error_code;
    std::string message;
    try {
        job->control.check();
        const nlohmann::json result = job->work(job->control);
        // A job cancelled while finishing keeps no result either.
        job->control.check();
        cache::Value value;
        value.columns.push_back(cache::Column::text("result", result.dump()));
        cache_.put(result_key(job->info.id), std::move(value), options_.ttl_s);
    } catch (const JobCancelled&) {
        state = JobState::Cancelled;
    } catch (...) {
        state = JobState::Failed;
        const HttpResponse r = error_response(std::current_exception());
        const auto doc = nlohmann::json::parse(r.body);
        error_code = doc["error"]["code"].get<std::string>();
        message = doc["error"]["message"].get<std::string>();
    }
    // The work's closure (and the data it holds) goes now, not when the job expires.
    job->work = nullptr;
    if (state == JobState::Failed) {
        job->control.message(message);
    }
    const std::lock_guard lock(mutex_);
    job->info.state = state;
    job->info.error_code = error_code;
    job->info.finished_ns = now_ns();
    job->info.progress = state == JobState::Done ? 1.0 : job->control.progress_.load();
    ++ended_[std::string(to_string(state))];
    --running_;
    spdlog::info("job {} ({}) {}", job->info.id, job->info.kind, to_string(state));
    finished_.notify_all();
}

void JobQueue::expire(std::int64_t now) {
    const std::int64_t ttl_ns = options_.ttl_s * 1'000'000'000;
    std::erase_if(jobs_, [&](const auto& entry) {
        const JobInfo& info = entry.second->info;
        return info.finished_ns && now - *info.finished_ns > ttl_ns;
    });
}

void JobQueue::shutdown(std::chrono::milliseconds grace) {
    std::unique_lock lock(mutex_);
    accepting_ = false;
    for (const auto& job : queue_) {
        job->info.state = JobState::Cancelled;
        job->info.finished_ns = now_ns();
        ++ended_["cancelled"];
    }
    queue_.clear();
    if (!finished_.wait_for(lock, grace, [&] { return running_ == 0; })) {
        for (const auto& [id, job] : jobs_) {
            if (job->info.state == JobState::Running) {
                job->control.cancel_.store(true);
            }
        }
    }
    stopping_ = true;
    wake_.notify_all();
    lock.unlock();
    for (std::thread& t : workers_) {
        if (t.joinable()) {
            t.join();
        }
    }
}

std::size_t JobQueue::queued() const {
    const std::lock_guard lock(mutex_);
    return queue_.size();
}

std::size_t JobQueue::running() const {
    const std::lock_guard lock(mutex_);
    return running_;
}

std::map<std::string, std::uint64_t> JobQueue::finished_counts() const {
    const std::lock_guard lock(mutex_);
    return ended_;
}

}  // namespace tradpal::server
