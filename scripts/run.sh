#!/usr/bin/env bash
# README command 1: install what is missing, build Release, start gatewayd on 127.0.0.1:3000
# with ./data/gatewayd.db and the built-in mock provider. Extra arguments go to gatewayd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target gatewayd
mkdir -p data
exec ./build/release/apps/gatewayd/gatewayd "$@"
