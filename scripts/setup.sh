#!/usr/bin/env bash
# Installs the pipeline and everything its tests need, on a fresh machine.
# torch goes first: argostranslate pulls stanza, which pulls torch (the dev extra's transformers uses it too), and an
# unpinned torch means GBs of CUDA wheels.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

"$PY" -m pip install --disable-pip-version-check -q "torch==2.13.0"
"$PY" -m pip install --disable-pip-version-check -q -e ".[dev]"

# msgfmt (gettext) validates catalogs in the tests; install it when missing and we may.
if ! command -v msgfmt >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq gettext >/dev/null
    else
        echo "warning: msgfmt not found; install GNU gettext to validate catalogs" >&2
    fi
fi
# pyenv only sees a new console script after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
if command -v pipeline >/dev/null 2>&1; then
    echo "pipeline installed: $(command -v pipeline)"
else
    echo "pipeline installed, but its script is not on PATH: use '$PY -m pipeline' or add pip's script dir to PATH" >&2
fi
