#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GPU check, in one go of under 8 minutes on a GPU machine as cloud images come: CUDA 13,
# g++ 13, CMake, PyTorch 2.x with its libtorch, none of Debian's -dev packages.
#   1. builds the modules that need no more than that
#      (TRADPAL_MODULES=core;gpu;indicators;ml;monitor;backtest) against PyTorch's libtorch, with
#      tests and benchmarks;
#   2. runs the whole test suite of that build, the gpu-labelled tests included (the GPU sweep
#      against the CPU simulator, bit for bit);
#   3. prints the GPU benchmarks (modules/gpu/bench): the sweep next to the CPU simulator on all
#      cores (10,000 sma_cross sets x 1M bars), the batch indicators next to one CPU core (six
#      indicators x 100 series x 1M bars);
#   4. prints the training and inference benchmarks of TradPal and of PyTorch eager
#      (scripts/bench_ml_pytorch.py), side by side on the same card and CPU.
# Usage: scripts/gpu-check.sh [build-dir]   (PYTHON=python3, STEPS=40, QUICK=1 skips the CPU rows)
# Everything printed is also written to $OUT/gpu-check.log when OUT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
python=${PYTHON:-python3}
steps=${STEPS:-40}
log=${OUT:-/tmp}/gpu-check.log
mkdir -p "$(dirname "$log")"
exec > >(tee "$log") 2>&1

stage() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

# PyTorch's CMake files look for nvcc; cloud images keep the toolkit off PATH.
if [[ -x /usr/local/cuda/bin/nvcc ]]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi

stage "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
nproc
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')

stage "configure"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTRADPAL_MODULES="core;gpu;indicators;ml;monitor;backtest" -DTRADPAL_WITH_TORCH=ON -DTRADPAL_WITH_CUDA=ON \
  -DTRADPAL_BUILD_TESTS=ON -DTRADPAL_BUILD_BENCHMARKS=ON \
  -DCMAKE_PREFIX_PATH="$torch_prefix"

stage "build"
timeout 300 cmake --build "$build" -j "$(nproc)"

# A failed test is reported at the end; the benchmarks still run, so that one call says all.
failed=0
stage "tests (all of this build; the gpu-labelled ones need the card)"
ctest --test-dir "$build" -j 8 --output-on-failure --timeout 180 -LE gpu || failed=1
ctest --test-dir "$build" --output-on-failure --timeout 180 -L gpu | tee "$build/gpu-tests.txt" ||
  failed=1
# A skipped gpu test means libtorch (or the CUDA runtime) saw no usable CUDA device: say so
# rather than pass quietly.
if grep -q "Skipped" "$build/gpu-tests.txt"; then
  echo "WARNING: gpu tests were skipped: no usable CUDA device"
  failed=1
fi

stage "GPU sweep and indicators (transfers included) next to the CPU on the same machine"
timeout 300 "$build/modules/gpu/tradpal_gpu_bench" --benchmark_counters_tabular=true || failed=1

bench="$build/modules/ml/tradpal_ml_bench"
stage "TradPal (C++) on the GPU, fp32"
TRADPAL_BENCH_DEVICE=cuda TRADPAL_BENCH_STEPS=$steps timeout 240 "$bench" --benchmark_counters_tabular=true
stage "PyTorch eager on the GPU, fp32"
timeout 240 "$python" scripts/bench_ml_pytorch.py --device cuda --steps "$steps" --predict
stage "TradPal (C++) on the GPU, bf16 autocast"
TRADPAL_BENCH_DEVICE=cuda TRADPAL_BENCH_BF16=1 TRADPAL_BENCH_STEPS=$steps timeout 240 "$bench" \
  --benchmark_filter=Train --benchmark_counters_tabular=true
stage "PyTorch eager on the GPU, bf16 autocast"
timeout 240 "$python" scripts/bench_ml_pytorch.py --device cuda --bf16 --steps "$steps"

if [[ "${QUICK:-0}" != 1 ]]; then
  stage "TradPal (C++) on the CPU ($(nproc) threads)"
  TRADPAL_BENCH_STEPS=8 timeout 240 "$bench" --benchmark_filter='Train/.*/256|Predict' \
    --benchmark_counters_tabular=true
  stage "PyTorch eager on the CPU"
  timeout 240 "$python" scripts/bench_ml_pytorch.py --steps 8 --batches 256 --predict
fi
stage "done"
if [[ $failed != 0 ]]; then
  echo "gpu-check: some tests FAILED or were skipped (above)"
  exit 1
fi
echo "gpu-check: all tests passed"
