#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, checks formatting and runs the test suite.
#
#   scripts/test.sh                 Release build in build/, labels unit + integration (+ redis)
#   scripts/test.sh --asan          the same under AddressSanitizer + UBSan, in build-asan/
#   scripts/test.sh --slow          also the tests labelled slow
#   scripts/test.sh --fuzz [SECS]   build the libFuzzer targets with clang (build-fuzz/) and run
#                                   each for SECS seconds (default 60) instead of the suite
#   scripts/test.sh --no-install    skip the package check
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

preset=release
slow=0
fuzz_seconds=0
install=1
while (($#)); do
  case "$1" in
    --asan) preset=asan ;;
    --slow) slow=1 ;;
    --fuzz)
      fuzz_seconds=60
      if [[ ${2:-} =~ ^[0-9]+$ ]]; then fuzz_seconds=$2; shift; fi ;;
    --no-install) install=0 ;;
    -h|--help) sed -n '3,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

((install)) && tradpal_install_packages

# Formatting is part of the contract: clang-format-16 with the repository's .clang-format.
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh')
if ((${#sources[@]})); then
  clang-format-16 --dry-run -Werror "${sources[@]}"
fi

if ((fuzz_seconds)); then
  cmake --preset fuzz
  cmake --build --preset fuzz
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  cp testdata/fuzz/csv/* "$corpus"/
  build-fuzz/modules/data/tradpal_csv_fuzz -max_total_time="$fuzz_seconds" -max_len=4096 \
    -print_final_stats=1 "$corpus"
  exit 0
fi

# CI (.ci/run) sets TRADPAL_WERROR=ON: a warning fails the build there.
cmake --preset "$preset" -DTRADPAL_WERROR="${TRADPAL_WERROR:-OFF}"
cmake --build --preset "$preset"
exclude='slow|fuzz|mpi'
((slow)) && exclude='fuzz|mpi'
ctest --preset "$preset" --label-exclude "$exclude"
