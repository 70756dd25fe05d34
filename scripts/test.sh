#!/usr/bin/env bash
# Installs what canopy's tests need on a fresh machine, then runs every test.
#
# The emulator's wire-format tests drive the real `aws` CLI (v1, from PyPI), which is
# installed into .venv here. Everything the tests start listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/aws ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check awscli
fi
export PATH="$PWD/.venv/bin:$PATH"
# Keep any AWS configuration of the machine out of the tests.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL

cargo test --workspace --locked "$@"

# The web UI's browser test drives Debian's Chromium through playwright-core, pinned in
# ui-tests/package-lock.json. Playwright's own browser download is never used.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -d ui-tests/node_modules ]; then
    (cd ui-tests && npm ci --no-audit --no-fund)
fi
# `cargo test` above built target/debug/canopy for the CLI's tests; building it again
# with `cargo build -p canopy` would recompile dependencies under other feature sets.
[ -x target/debug/canopy ] || cargo build -p canopy --locked
(cd ui-tests && node --test --test-concurrency=1 ui.test.js)
