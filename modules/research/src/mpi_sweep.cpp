// SPDX-License-Identifier: Apache-2.0
#include <tradpal/config.hpp>
#include <tradpal/research/mpi.hpp>

#if TRADPAL_HAS_MPI
#include <mpi.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "sweep_engine.hpp"

namespace tradpal::research {

#if TRADPAL_HAS_MPI

namespace {

// Rows travel as bytes between processes of one build of one binary.
static_assert(std::is_trivially_copyable_v<SweepRow>);

/// The same block size on every process, whatever its thread count.
constexpr std::size_t kMpiBlock = 128;

void check(int code, const char* what) {
    if (code != MPI_SUCCESS) {
        throw Exception(ErrorCode::Internal, std::string("MPI: ") + what + " failed");
    }
}

}  // namespace

MpiSession::MpiSession() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "init");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiSession::~MpiSession() {
    MPI_Finalize();
}

void MpiSession::abort(int code) const {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::abort();
}

SweepOutcome run_sweep_mpi(const MpiSession& session,
                           std::span<const backtest::SymbolSeries> series,
                           const SweepRequest& request, const SweepOptions& options,
                           const RowSink& sink, const SweepProgress& progress) {
    detail::SweepEngine engine(series, request, options, kMpiBlock);
    const std::size_t blocks = engine.block_count();
    // The next block to hand out lives on rank 0; every process takes one at a time.
    long* next = nullptr;
    MPI_Win window = MPI_WIN_NULL;
    check(MPI_Win_allocate(session.rank() == 0 ? sizeof(long) : 0, sizeof(long), MPI_INFO_NULL,
                           MPI_COMM_WORLD, &next, &window),
          "window");
    if (session.rank() == 0) {
        *next = 0;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    std::vector<SweepRow> mine;
    const std::uint64_t total = series.size() * request.sets.size();
    std::uint64_t taken = 0;
    for (;;) {
        const long one = 1;
        long block = 0;
        MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window);
        MPI_Fetch_and_op(&one, &block, MPI_LONG, 0, 0, MPI_SUM, window);
        MPI_Win_unlock(0, window);
        if (block < 0 || static_cast<std::size_t>(block) >= blocks) {
            break;
        }
        engine.compute(static_cast<std::size_t>(block), mine);
        taken += engine.block_size(static_cast<std::size_t>(block));
        if (progress && session.rank() == 0) {
            // Rank 0 sees its own share only; scaled, it says how far the job is.
            progress(
                std::min<std::uint64_t>(total, taken * static_cast<std::uint64_t>(session.size())),
                total);
        }
    }
    MPI_Win_free(&window);

    // Rank 0 gathers every row, puts them in (symbol, set) order and consumes them.
    const int bytes = static_cast<int>(mine.size() * sizeof(SweepRow));
    std::vector<int> counts(static_cast<std::size_t>(session.size()));
    MPI_Gather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(counts.size());
    std::vector<SweepRow> all;
    if (session.rank() == 0) {
        long sum = 0;
        for (std::size_t r = 0; r < counts.size(); ++r) {
            offsets[r] = static_cast<int>(sum);
            sum += counts[r];
        }
        all.resize(static_cast<std::size_t>(sum) / sizeof(SweepRow));
    }
    MPI_Gatherv(mine.data(), bytes, MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE,
                0, MPI_COMM_WORLD);
    if (session.rank() != 0) {
        return {};
    }
    std::sort(all.begin(), all.end(), [](const SweepRow& a, const SweepRow& b) {
        return a.symbol != b.symbol ? a.symbol < b.symbol : a.set < b.set;
    });
    for (const SweepRow& row : all) {
        engine.consume(row, sink);
    }
    return engine.finish();
}

#else

MpiSession::MpiSession() {
    throw Exception(ErrorCode::Unavailable,
                    "this tradpal was built without MPI: install OpenMPI (scripts/setup.sh) and "
                    "rebuild");
}
MpiSession::~MpiSession() = default;
void MpiSession::abort(int code) const {
    std::exit(code);
}
SweepOutcome run_sweep_mpi(const MpiSession&, std::span<const backtest::SymbolSeries>,
                           const SweepRequest&, const SweepOptions&, const RowSink&,
                           const SweepProgress&) {
    throw Exception(ErrorCode::Unavailable, "this tradpal was built without MPI");
}

#endif

}  // namespace tradpal::research
