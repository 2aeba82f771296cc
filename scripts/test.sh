#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
# The SDK end-to-end test's npm packages (pinned by tests/sdk/package-lock.json).
if [[ ! -d tests/sdk/node_modules || tests/sdk/package-lock.json -nt tests/sdk/node_modules ]]; then
    (cd tests/sdk && npm ci --no-audit --no-fund)
    touch tests/sdk/node_modules
fi
# The Release gatewayd too (what README command 1 builds): the error battery also runs against it,
# with its own allocator, where heap corruption shows as a crash rather than a report
# (docs/testing.md).
cmake --preset release >/dev/null
cmake --build --preset release --target gatewayd
cmake --preset asan -DGATEWAY_RELEASE_GATEWAYD="$PWD/build/release/apps/gatewayd/gatewayd"
cmake --build --preset asan
ctest --preset asan
