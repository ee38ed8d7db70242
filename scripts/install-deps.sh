#!/usr/bin/env bash
# Installs every Debian package urlmon's build, tests, benchmarks and local run need, and
# the pinned Node tools of the static checks (npm ci of tools/static/package-lock.json),
# so that scripts/test.sh needs no network after this step.
# Idempotent: when everything is present it only runs dpkg-query, compares the lock
# file's hash with the one recorded at the last npm ci, and returns.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

PACKAGES=(
    build-essential cmake pkg-config git ca-certificates
    libmariadb-dev libhiredis-dev libcurl4-openssl-dev libevent-dev libcjson-dev libpcre2-dev
    libcmocka-dev
    mariadb-server mariadb-client redis-server redis-tools
    curl wrk shellcheck clang clang-format libclang-rt-14-dev python3 procps psmisc
    openssl libssl-dev prometheus-alertmanager libjs-chart.js chromium zlib1g-dev help2man systemd dpkg-dev debootstrap time gcovr
    linux-perf
)
# Node.js (for the static checks' npm tools): Debian 12's nodejs 18.20 and npm 9.2
# satisfy tools/static/package.json; a newer node from elsewhere (with npm inside it)
# is used as it is.
if ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(nodejs npm)
fi

# The dashboard's npm packages (tools/ui: swagger-ui-dist, embedded by the build as
# GET /docs; puppeteer-core, which drives the system Chromium in the browser tests),
# exactly as package-lock.json pins them, without install scripts. Only when the lock
# changed or they are missing.
ui_tools() {
    local dir lock
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/ui"
    lock="$dir/node_modules/.package-lock.json"
    if [ -f "$lock" ] && [ -f "$dir/node_modules/swagger-ui-dist/swagger-ui-bundle.js" ] &&
        [ -f "$dir/node_modules/puppeteer-core/package.json" ] && [ "$lock" -nt "$dir/package-lock.json" ]; then
        return 0
    fi
    echo "install-deps: npm ci in tools/ui"
    npm ci --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error
}

# npm ci of the static checks' tools when node_modules does not match the lock file
# (the hash of package.json + package-lock.json is kept beside them).
node_tools() {
    local dir=$ROOT/tools/static want have=""
    local stamp=$dir/node_modules/.urlmon-lock.sha256
    want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ]; then have=$(cat "$stamp"); fi
    if [ "$want" = "$have" ]; then
        return 0
    fi
    node -e '
        const [maj, min] = process.versions.node.split(".").map(Number);
        if (maj < 18 || (maj === 18 && min < 17)) {
            console.error("install-deps: node " + process.version + " is older than 18.17, which tools/static/package.json needs");
            process.exit(1);
        }'
    echo "install-deps: npm ci in tools/static (node $(node --version), npm $(npm --version))"
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error
    printf '%s\n' "$want" >"$stamp"
}

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    ui_tools
    node_tools
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# Keep the system-wide servers from starting: urlmon runs its own private ones.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod +x "$policy"
    created_policy=1
fi
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "$created_policy" -eq 1 ]; then
    "${SUDO[@]}" rm -f "$policy"
fi
node_tools
ui_tools
echo "install-deps: done"
