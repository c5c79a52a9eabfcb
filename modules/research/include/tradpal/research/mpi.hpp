// SPDX-License-Identifier: Apache-2.0
// Sweeps across the processes of an MPI job (mpirun -np N tradpal sweep --mpi ...).
#pragma once

#include <tradpal/research/sweep.hpp>

namespace tradpal::research {

/// This process's place in an MPI job: initialises MPI (threads funneled: OpenMP threads never
/// call MPI) and finalises it on destruction. One per process.
/// Throws: tradpal::Exception (Unavailable) when TradPal was built without MPI.
class MpiSession {
public:
    MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    ~MpiSession();

    int rank() const noexcept { return rank_; }
    int size() const noexcept { return size_; }
    /// Ends every process of the job (after an error on one of them).
    [[noreturn]] void abort(int code) const;

private:
    int rank_ = 0;
    int size_ = 1;
};

/// run_sweep over every process of the job: blocks of sets are handed out one at a time from
/// a counter on rank 0, so a slow process takes fewer; each process runs its blocks on all its
/// cores; rank 0 gathers the rows and returns what run_sweep returns in one process, handing
/// `sink` the same rows in the same order. Other ranks return an empty outcome. Every process
/// must call it with the same arguments. Throws: tradpal::Exception.
SweepOutcome run_sweep_mpi(const MpiSession& session,
                           std::span<const backtest::SymbolSeries> series,
                           const SweepRequest& request, const SweepOptions& options,
                           const RowSink& sink = {}, const SweepProgress& progress = {});

}  // namespace tradpal::research
