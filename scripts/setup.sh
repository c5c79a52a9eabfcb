#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every dependency (Debian packages) and builds TradPal (Release) into build/.
# Idempotent and non-interactive. Then: build/tradpal demo
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

tradpal_install_packages
cmake --preset release
cmake --build --preset release
echo "tradpal: built build/tradpal (try: build/tradpal demo)"
