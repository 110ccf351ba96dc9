#!/usr/bin/env bash
# `make demo`: relnotes on the bundled worksheet, end to end, without touching the internet.
# GitHub is played by the bundled GitHub-compatible server on 127.0.0.1, so the demo shows
# metadata fetching and the triage that uses it. The worksheet itself is not modified.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WS=todo/quantization.md
DEMO=.relnotes/demo
mkdir -p "$DEMO"
export RELNOTES_CACHE="$DEMO/cache.sqlite"
rm -f "$RELNOTES_CACHE"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "relnotes parse $WS"
$BIN/relnotes parse "$WS"

step "relnotes lint $WS --release 2.7.0"
$BIN/relnotes lint "$WS" --release 2.7.0

step "GitHub-compatible test server (fixtures for the PRs of $WS)"
$BIN/python -m tests.github_server --port 0 --log "$DEMO/requests.jsonl" > "$DEMO/server.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q http "$DEMO/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*' "$DEMO/server.out" | head -1)
echo "serving at $URL"
export GITHUB_API_URL="$URL"
export GITHUB_TOKEN=demo-token-not-a-secret

step "relnotes fetch $WS   (cold: batched GraphQL)"
$BIN/relnotes fetch "$WS"
step "relnotes fetch $WS   (warm: served from the cache, 0 requests)"
$BIN/relnotes fetch "$WS"
echo "requests the server saw: $(wc -l < "$DEMO/requests.jsonl")"

# The bundled worksheet is from 2.7.0, and the shipped history holds 2.7.0's decisions:
# leave them out, or triage would be quoting the answers back.
step "relnotes triage $WS --exclude-history 2.7.0   (suggestions with confidence and reasons)"
$BIN/relnotes triage "$WS" --exclude-history 2.7.0

step "relnotes check $WS   (migration snippets run against torch, sandboxed)"
$BIN/relnotes check "$WS"

step "relnotes triage $WS --format markdown --min-confidence 0.5 | diff   (what --write would change)"
$BIN/relnotes triage "$WS" --exclude-history 2.7.0 --format markdown --min-confidence 0.5 > "$DEMO/triaged.md"
diff -u "$WS" "$DEMO/triaged.md" | head -60
echo
echo "demo done; nothing in todo/ was modified."
