#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing, builds, checks formatting and runs the test suite.
#
#   scripts/test.sh                 Release build in build/, labels unit + integration + redis
#                                   (a redis-server of its own on a free loopback port)
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
# Tests labelled redis talk to a real redis-server: one of our own on a free loopback port with
# a temporary directory, stopped when this script ends, failed or not.
redis_dir=
stop_redis() {
  if [[ -n $redis_dir ]]; then
    redis-cli -p "$TRADPAL_TEST_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
      kill "$(cat "$redis_dir/redis.pid" 2>/dev/null)" 2>/dev/null || true
    rm -rf "$redis_dir"
  fi
}
if command -v redis-server >/dev/null; then
  redis_dir=$(mktemp -d)
  trap stop_redis EXIT
  TRADPAL_TEST_REDIS_PORT=$(/usr/bin/python3 -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export TRADPAL_TEST_REDIS_PORT
  redis-server --port "$TRADPAL_TEST_REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$redis_dir" --daemonize yes --pidfile "$redis_dir/redis.pid" \
    --logfile "$redis_dir/redis.log"
  for _ in $(seq 50); do
    redis-cli -p "$TRADPAL_TEST_REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "tradpal: redis-server for the tests on 127.0.0.1:$TRADPAL_TEST_REDIS_PORT"
else
  echo "tradpal: redis-server not found; the tests labelled redis will skip"
fi

exclude='slow|fuzz|mpi'
((slow)) && exclude='fuzz|mpi'
ctest --preset "$preset" --label-exclude "$exclude"
