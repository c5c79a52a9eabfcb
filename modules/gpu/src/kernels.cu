// SPDX-License-Identifier: Apache-2.0
// The device side of the GPU sweep and of the batch indicators (one .cu file: nvcc is the
// slow part of a CI build). The sweep: one upload of the bars and lines, one thread per run
// (run_signals of sweep_kernel.hpp, compiled with -fmad=false), one download of the states and
// daily returns. The indicators: one upload of the columns, one thread per (series,
// indicator) (run_indicator of indicator_kernels.hpp), one download of the outputs. Device
// memory is freed on every path.
#include <algorithm>
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "indicator_launch.hpp"
#include "sweep_launch.hpp"

namespace tradpal::gpu::detail {
namespace {

__global__ void sweep_kernel(const RunBars* symbols, const double* const* lines,
                             const LaunchRun* runs, std::size_t count, double* returns,
                             RunState* states) {
    const std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= count) {
        return;
    }
    const LaunchRun run = runs[k];
    RunState state;
    run_signals(symbols[run.symbol], lines_of(run, lines), run.params, returns + run.returns_offset,
                state);
    states[k] = state;
}

__global__ void indicator_kernel(const SeriesColumns* series, const IndicatorTask* tasks,
                                 std::size_t count, double* out) {
    const std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= count) {
        return;
    }
    const IndicatorTask task = tasks[k];
    run_indicator(series[task.series], task.indicator, out + task.out_offset);
}

/// Device buffers of one launch, freed together.
class DeviceMemory {
public:
    DeviceMemory() = default;
    DeviceMemory(const DeviceMemory&) = delete;
    DeviceMemory& operator=(const DeviceMemory&) = delete;
    ~DeviceMemory() {
        for (void* p : blocks_) {
            cudaFree(p);
        }
    }

    /// A copy of `host` on the device (nullptr for an empty span).
    template <class T>
    Result<T*> upload(std::span<const T> host);

    template <class T>
    Result<T*> allocate(std::size_t count) {
        void* p = nullptr;
        if (count == 0) {
            return static_cast<T*>(nullptr);
        }
        if (const cudaError_t e = cudaMalloc(&p, count * sizeof(T)); e != cudaSuccess) {
            return error("cudaMalloc", e);
        }
        blocks_.push_back(p);
        return static_cast<T*>(p);
    }

    static Error error(std::string_view what, cudaError_t e) {
        // (No fmt here: its headers do not pass nvcc.)
        return {ErrorCode::Unavailable, "gpu: " + std::string(what) + ": " + cudaGetErrorString(e)};
    }

private:
    std::vector<void*> blocks_;
};

/// cudaMemcpy of `count` values (nothing for none); its error as Unavailable.
template <class T>
Result<void> copy(T* to, const T* from, std::size_t count, cudaMemcpyKind kind) {
    if (count == 0) {
        return {};
    }
    if (const cudaError_t e = cudaMemcpy(to, from, count * sizeof(T), kind); e != cudaSuccess) {
        return DeviceMemory::error("cudaMemcpy", e);
    }
    return {};
}

template <class T>
Result<T*> DeviceMemory::upload(std::span<const T> host) {
    auto p = allocate<T>(host.size());
    if (!p) {
        return p;
    }
    if (auto ok = copy(*p, host.data(), host.size(), cudaMemcpyHostToDevice); !ok) {
        return ok.error();
    }
    return p;
}

/// Waits for the kernel just launched; a launch or run failure as Unavailable.
Result<void> wait_for_kernel() {
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
        return DeviceMemory::error("kernel launch", e);
    }
    if (const cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess) {
        return DeviceMemory::error("kernel", e);
    }
    return {};
}

}  // namespace

Result<void> launch_sweep(const SweepLaunch& launch, int device, std::span<RunState> states,
                          std::span<double> returns) {
    if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
        return DeviceMemory::error("cudaSetDevice", e);
    }
    DeviceMemory memory;
    std::vector<RunBars> symbols;
    for (const RunBars& host : launch.symbols) {
        RunBars bars = host;
        auto ts = memory.upload(std::span<const std::int64_t>(host.ts, host.n));
        if (!ts) {
            return ts.error();
        }
        bars.ts = *ts;
        for (const double** column : {&bars.open, &bars.high, &bars.low, &bars.close}) {
            auto copy = memory.upload(std::span<const double>(*column, host.n));
            if (!copy) {
                return copy.error();
            }
            *column = *copy;
        }
        symbols.push_back(bars);
    }
    std::vector<const double*> lines;
    for (const std::span<const double> line : launch.lines) {
        auto copy = memory.upload(line);
        if (!copy) {
            return copy.error();
        }
        lines.push_back(*copy);
    }
    // Buffers for the largest pass, reused by every pass.
    std::size_t most_runs = 0;
    std::size_t most_returns = 0;
    for (const Pass& pass : launch.passes) {
        most_runs = std::max(most_runs, pass.end - pass.begin);
        most_returns = std::max(most_returns, pass.returns_size);
    }
    auto d_symbols = memory.upload(std::span<const RunBars>(symbols));
    auto d_lines = memory.upload(std::span<const double* const>(lines));
    auto d_runs = memory.allocate<LaunchRun>(most_runs);
    auto d_returns = memory.allocate<double>(most_returns);
    auto d_states = memory.allocate<RunState>(most_runs);
    if (!d_symbols || !d_lines || !d_runs || !d_returns || !d_states) {
        return fail(ErrorCode::Unavailable,
                    "gpu sweep: the device has not enough free memory for this batch");
    }
    for (const Pass& pass : launch.passes) {
        const std::size_t count = pass.end - pass.begin;
        if (count == 0) {
            continue;
        }
        if (auto ok = copy(*d_runs, launch.runs.data() + pass.begin, count, cudaMemcpyHostToDevice);
            !ok) {
            return ok.error();
        }
        constexpr unsigned kThreads = 128;
        const auto blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
        sweep_kernel<<<blocks, kThreads>>>(*d_symbols, *d_lines, *d_runs, count, *d_returns,
                                           *d_states);
        if (auto ok = wait_for_kernel(); !ok) {
            return ok.error();
        }
        if (auto ok = copy(states.data() + pass.begin, *d_states, count, cudaMemcpyDeviceToHost);
            !ok) {
            return ok.error();
        }
        if (auto ok = copy(returns.data() + pass.returns_begin, *d_returns, pass.returns_size,
                           cudaMemcpyDeviceToHost);
            !ok) {
            return ok.error();
        }
    }
    return {};
}

Result<void> launch_indicators(std::span<const SeriesColumns> series,
                               std::span<const IndicatorTask> tasks,
                               std::span<const IndicatorPass> passes, int device,
                               std::span<double> out) {
    if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
        return DeviceMemory::error("cudaSetDevice", e);
    }
    DeviceMemory memory;
    std::vector<SeriesColumns> columns;
    for (const SeriesColumns& host : series) {
        SeriesColumns copy = host;
        auto close = memory.upload(std::span<const double>(host.close, host.n));
        auto high = memory.upload(std::span<const double>(host.high, host.high ? host.n : 0));
        auto low = memory.upload(std::span<const double>(host.low, host.low ? host.n : 0));
        if (!close || !high || !low) {
            return !close ? close.error() : !high ? high.error() : low.error();
        }
        copy.close = *close;
        copy.high = *high;
        copy.low = *low;
        columns.push_back(copy);
    }
    // Buffers for the largest pass, reused by every pass.
    std::size_t most_tasks = 0;
    std::size_t most_out = 0;
    for (const IndicatorPass& pass : passes) {
        most_tasks = std::max(most_tasks, pass.end - pass.begin);
        most_out = std::max(most_out, pass.out_size);
    }
    auto d_series = memory.upload(std::span<const SeriesColumns>(columns));
    auto d_tasks = memory.allocate<IndicatorTask>(most_tasks);
    auto d_out = memory.allocate<double>(most_out);
    if (!d_series || !d_tasks || !d_out) {
        return fail(ErrorCode::Unavailable,
                    "gpu indicators: the device has not enough free memory for this batch");
    }
    for (const IndicatorPass& pass : passes) {
        const std::size_t count = pass.end - pass.begin;
        if (count == 0) {
            continue;
        }
        if (auto ok = copy(*d_tasks, tasks.data() + pass.begin, count, cudaMemcpyHostToDevice);
            !ok) {
            return ok.error();
        }
        constexpr unsigned kThreads = 64;
        const auto blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
        indicator_kernel<<<blocks, kThreads>>>(*d_series, *d_tasks, count, *d_out);
        if (auto ok = wait_for_kernel(); !ok) {
            return ok.error();
        }
        if (auto ok =
                copy(out.data() + pass.out_begin, *d_out, pass.out_size, cudaMemcpyDeviceToHost);
            !ok) {
            return ok.error();
        }
    }
    return {};
}

}  // namespace tradpal::gpu::detail
