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
cmake --preset asan
cmake --build --preset asan
ctest --preset asan
