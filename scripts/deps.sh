#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages TradPal needs, for every module of the plan (docs/ARCHITECTURE in README),
# and an idempotent installer. Sourced by setup.sh and test.sh.

TRADPAL_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang-16 clang-format-16 clang-tidy-16 libclang-rt-16-dev libomp-dev
  # core, data, cli
  libfmt-dev libspdlog-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libxxhash-dev zlib1g-dev libfast-float-dev libhdf5-dev libzstd-dev liblz4-dev libsimdjson-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # cache (Redis level), data sources and the HTTP server
  libhiredis-dev redis-server libcurl4-openssl-dev libcpp-httplib-dev libssl-dev
  # ml (libtorch; OpenBLAS or CPU training is several times slower) and distributed research
  libtorch-dev libopenblas-dev libopenmpi-dev openmpi-bin
  # comparisons with the Python tools users know, Python bindings, test helpers
  python3-pandas python3-numpy python3-h5py python3-pytest python3-dev pybind11-dev
  python3-setuptools python3-wheel python3-build python3-venv
  time unzip
  # load generator for the server's benchmarks (docs/BENCHMARKS.md, Server)
  wrk
  # the dashboard's real-browser test (tests/browser, headless Chromium over DevTools)
  chromium python3-websocket
)

# Installs whichever of TRADPAL_PACKAGES are missing (apt, non-interactive; sudo when not root).
tradpal_install_packages() {
  local missing=()
  local pkg
  for pkg in "${TRADPAL_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "tradpal: all ${#TRADPAL_PACKAGES[@]} packages are installed"
    return 0
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  echo "tradpal: installing ${#missing[@]} packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}
