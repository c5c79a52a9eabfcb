// SPDX-License-Identifier: Apache-2.0
// The device side of the GPU sweep and of the batch indicators (one .cu file: nvcc is the
// slow part of a CI build). The sweep: one upload of the bars and lines, one thread per run
// (run_cross of cross_kernel.hpp, compiled with -fmad=false), one download of the states and
// daily returns. The indicators: one upload of the columns, one thread per (series,
// indicator) (run_indicator of indicator_kernels.hpp), one download of the outputs. Device
// memory is freed on every path.
#include <string>
#include <vector>

#include <cuda_runtime_api.h>

#include "cross_launch.hpp"
#include "indicator_launch.hpp"

namespace tradpal::gpu::detail {
namespace {

__global__ void cross_kernel(const CrossBars* symbols, const double* const* lines,
                             const CrossParams* params, const LaunchRun* runs, std::size_t count,
                             double* returns, CrossState* states) {
    const std::size_t k = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= count) {
        return;
    }
    const LaunchRun run = runs[k];
    CrossState state;
    run_cross(symbols[run.symbol], lines[run.a], lines[run.b], params[run.params],
              returns + run.returns_offset, state);
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
    Result<T*> upload(std::span<const T> host) {
        auto p = allocate<T>(host.size());
        if (p && !host.empty()) {
            if (const cudaError_t e =
                    cudaMemcpy(*p, host.data(), host.size_bytes(), cudaMemcpyHostToDevice);
                e != cudaSuccess) {
                return error("cudaMemcpy", e);
            }
        }
        return p;
    }

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
        return {ErrorCode::Unavailable,
                "gpu sweep: " + std::string(what) + ": " + cudaGetErrorString(e)};
    }

private:
    std::vector<void*> blocks_;
};

}  // namespace

Result<void> launch_cross(const CrossLaunch& launch, int device, std::span<CrossState> states,
                          std::span<double> returns) {
    if (const cudaError_t e = cudaSetDevice(device); e != cudaSuccess) {
        return DeviceMemory::error("cudaSetDevice", e);
    }
    DeviceMemory memory;
    std::vector<CrossBars> symbols;
    for (const CrossBars& host : launch.symbols) {
        CrossBars bars = host;
        auto ts = memory.upload(std::span<const std::int64_t>(host.ts, host.n));
        auto open = memory.upload(std::span<const double>(host.open, host.n));
        auto close = memory.upload(std::span<const double>(host.close, host.n));
        if (!ts || !open || !close) {
            return !ts ? ts.error() : !open ? open.error() : close.error();
        }
        bars.ts = *ts;
        bars.open = *open;
        bars.close = *close;
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
    auto d_symbols = memory.upload(std::span<const CrossBars>(symbols));
    auto d_lines = memory.upload(std::span<const double* const>(lines));
    auto d_params = memory.upload(launch.params);
    auto d_runs = memory.upload(launch.runs);
    auto d_returns = memory.allocate<double>(launch.returns_size);
    auto d_states = memory.allocate<CrossState>(launch.runs.size());
    if (!d_symbols || !d_lines || !d_params || !d_runs || !d_returns || !d_states) {
        return fail(ErrorCode::Unavailable,
                    "gpu sweep: the device has not enough free memory for this batch");
    }
    const std::size_t count = launch.runs.size();
    if (count > 0) {
        constexpr unsigned kThreads = 128;
        const auto blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
        cross_kernel<<<blocks, kThreads>>>(*d_symbols, *d_lines, *d_params, *d_runs, count,
                                           *d_returns, *d_states);
        if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
            return DeviceMemory::error("kernel launch", e);
        }
        if (const cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess) {
            return DeviceMemory::error("kernel", e);
        }
        if (const cudaError_t e = cudaMemcpy(states.data(), *d_states, count * sizeof(CrossState),
                                             cudaMemcpyDeviceToHost);
            e != cudaSuccess) {
            return DeviceMemory::error("cudaMemcpy", e);
        }
    }
    if (!returns.empty()) {
        if (const cudaError_t e = cudaMemcpy(returns.data(), *d_returns, returns.size_bytes(),
                                             cudaMemcpyDeviceToHost);
            e != cudaSuccess) {
            return DeviceMemory::error("cudaMemcpy", e);
        }
    }
    return {};
}

Result<void> launch_indicators(std::span<const SeriesColumns> series,
                               std::span<const IndicatorTask> tasks, int device,
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
    auto d_series = memory.upload(std::span<const SeriesColumns>(columns));
    auto d_tasks = memory.upload(tasks);
    auto d_out = memory.allocate<double>(out.size());
    if (!d_series || !d_tasks || !d_out) {
        return fail(ErrorCode::Unavailable,
                    "gpu indicators: the device has not enough free memory for this batch");
    }
    if (tasks.empty()) {
        return {};
    }
    constexpr unsigned kThreads = 64;
    const auto blocks = static_cast<unsigned>((tasks.size() + kThreads - 1) / kThreads);
    indicator_kernel<<<blocks, kThreads>>>(*d_series, *d_tasks, tasks.size(), *d_out);
    if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
        return DeviceMemory::error("kernel launch", e);
    }
    if (const cudaError_t e = cudaDeviceSynchronize(); e != cudaSuccess) {
        return DeviceMemory::error("kernel", e);
    }
    if (const cudaError_t e =
            cudaMemcpy(out.data(), *d_out, out.size_bytes(), cudaMemcpyDeviceToHost);
        e != cudaSuccess) {
        return DeviceMemory::error("cudaMemcpy", e);
    }
    return {};
}

}  // namespace tradpal::gpu::detail
