#!/usr/bin/env bash
# One entry point for newcomers and CI, on a Debian machine with only Python 3.11+.
#   bash run.sh demo    a network of four territories and a circle on 127.0.0.1:8000-8004
#   bash run.sh start   a working local instance on http://127.0.0.1:8000 (web + worker)
#   bash run.sh test    the whole test suite (what .ci/run calls)
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
    # Debian packages that some step needs; installed only when missing.
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_venv() {
    if [ ! -x .venv/bin/python ]; then
        python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
        python3 -m venv .venv
    fi
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$1"
}

case "${1:-}" in
start)
    ensure_venv .
    export MAILLAGE_DEV="${MAILLAGE_DEV:-1}" MAILLAGE_DATA="${MAILLAGE_DATA:-./data}"
    if ! .venv/bin/maillage territory show >/dev/null 2>&1; then
        .venv/bin/maillage territory set --slug "${MAILLAGE_TERRITORY:-brest}" --name "Brest" \
            --summary "Le territoire contributif de Brest : bibliothèques, jardins partagés, tiers-lieux." \
            --place "Brest" --lat 48.3904 --lon -4.4861
    fi
    # Both in the background, so that a signal reaches this script at once (bash runs a trap
    # only after its foreground command ends): Ctrl-C or SIGTERM stops the two processes,
    # and the last of them stops the embedded PostgreSQL as it exits.
    .venv/bin/maillage worker &
    worker=$!
    .venv/bin/maillage serve --host 127.0.0.1 --port 8000 &
    web=$!
    stop() {
        trap - INT TERM EXIT
        kill -TERM "$web" "$worker" 2>/dev/null || true
        wait "$web" "$worker" 2>/dev/null || true
    }
    trap 'stop; exit 130' INT
    trap 'stop; exit 143' TERM
    trap stop EXIT
    echo "Maillage: http://127.0.0.1:8000  (Ctrl-C to stop)"
    wait "$web"
    ;;
demo)
    # four territories and a circle on 127.0.0.1:8000-8004 (`maillage demo --help`)
    ensure_venv .
    exec .venv/bin/maillage demo "${@:2}"
    ;;
test)
    # Debian's chromium for the browser tests (Playwright drives it; it downloads no browser)
    # and docker-compose, whose `config` checks compose.yaml without a Docker engine.
    if command -v apt-get >/dev/null; then apt_install chromium docker-compose; fi
    ensure_venv ".[test]"
    .venv/bin/ruff check --no-cache .  # as a fresh clone sees it
    .venv/bin/lint-imports
    .venv/bin/mypy
    exec .venv/bin/python -m pytest -p no:cacheprovider "${@:2}"
    ;;
*)
    echo "usage: bash run.sh demo|start|test" >&2
    exit 2
    ;;
esac
