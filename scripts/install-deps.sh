#!/usr/bin/env bash
# Installs the Debian 12 packages gatewayd needs to build, test and run. Idempotent: apt is
# only called when something is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
    g++ cmake ninja-build ccache pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libsqlitecpp-dev libsqlite3-dev libfmt-dev libssl-dev zlib1g-dev libmimalloc-dev catch2
    ca-certificates curl
)
# `install-deps.sh test`: also what the tests need. The SDK end-to-end test (tests/sdk) runs on
# Node.js; Debian 12's nodejs (18) and npm do, and a node already on PATH (a newer one) is kept.
if [[ "${1:-}" == "test" ]]; then
    if ! command -v node >/dev/null 2>&1; then
        packages+=(nodejs npm)
    elif ! command -v npm >/dev/null 2>&1; then
        packages+=(npm)
    fi
fi

# `install-deps.sh bench`: also what bench/e2e/run.sh drives and compares against.
if [[ "${1:-}" == "bench" ]]; then
    packages+=(wrk nginx-light libnginx-mod-http-echo)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi
