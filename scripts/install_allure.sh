#!/usr/bin/env bash
# Install the pinned Allure CLI project-locally (under .tools/allure) and, when root, Debian's
# chromium for the report's browser check. Idempotent: does nothing when the right versions are there.
set -euo pipefail

ALLURE_VERSION="2.46.1"   # allure-commandline on npm; bundles the Allure 2 CLI (needs Java 8+)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.tools/allure"
ALLURE_BIN="$PREFIX/node_modules/.bin/allure"

installed_version() {
    node -e "console.log(require('$PREFIX/node_modules/allure-commandline/package.json').version)" 2>/dev/null || true
}

if [ "$(installed_version)" != "$ALLURE_VERSION" ]; then
    command -v npm >/dev/null || { echo "install_allure: npm is required" >&2; exit 1; }
    command -v java >/dev/null || { echo "install_allure: java (8+) is required by the Allure CLI" >&2; exit 1; }
    mkdir -p "$PREFIX"
    npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
        "allure-commandline@$ALLURE_VERSION"
    echo "[setup] allure: $ALLURE_BIN ($(installed_version))"
fi

# Chromium is only needed by the report's browser test; install it when we may.
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
        echo "[setup] chromium: $(command -v chromium)"
    else
        echo "chromium: not installed (not root); the report browser test will be skipped" >&2
    fi
fi
