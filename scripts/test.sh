#!/usr/bin/env bash
# README command 2 (and CI): install what is missing, build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset asan
cmake --build --preset asan
ctest --preset asan
