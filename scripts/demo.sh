#!/usr/bin/env bash
# `make demo`: relnotes on the bundled worksheet, end to end, without touching the internet.
# GitHub is played by the test server of the repository (tests/github_server) on 127.0.0.1.
# Everything that writes works on scratch copies under .relnotes/demo/ ($RELNOTES_DEMO_DIR
# elsewhere); todo/ is checked unchanged at the end. relnotes and python come from
# .venv/bin (what `make demo` installs), else from PATH.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/relnotes ]; then BIN=.venv/bin/; else BIN=; fi
WS=todo/quantization.md
NEXT=2.9.0
GENERATED=data/torch-release-notes/$NEXT/todo/result_quantization.md
DEMO=${RELNOTES_DEMO_DIR:-.relnotes/demo}
rm -rf "$DEMO/$NEXT" "$DEMO/$NEXT-before" "$DEMO/fixed" "$DEMO/cache.sqlite" "$DEMO/requests.jsonl"
mkdir -p "$DEMO"
export RELNOTES_CACHE="$DEMO/cache.sqlite"
todo_state() { (cd todo && find . -type f -exec cksum {} + | sort); }
before=$(todo_state)

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '\n%s\n' "$*" | fmt -w 92; }  # one paragraph

say "$WS is the 2.7.0 quantization worksheet part-way through curation: its items are" \
    "sorted and its BC-breaking and deprecation entries are written, with migration code." \
    "The demo reads it (parse, lint), fetches its PRs' metadata from a local stand-in for" \
    "GitHub, triages it and a later release's generated worksheet of the same domain, and runs its" \
    "migration snippets (check), which is where it finds something."

step "relnotes parse $WS   (its structure)"
"${BIN}relnotes" parse "$WS"

step "relnotes lint $WS --release 2.7.0   (what a maintainer must still fix)"
"${BIN}relnotes" lint "$WS" --release 2.7.0

step "GitHub-compatible test server (the PRs of $WS), on 127.0.0.1"
"${BIN}python" -m tests.github_server --port 0 --log "$DEMO/requests.jsonl" > "$DEMO/server.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q http "$DEMO/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*' "$DEMO/server.out" | head -1)
if [ -z "$URL" ]; then echo "the test server did not start:"; cat "$DEMO/server.out"; exit 1; fi
echo "serving at $URL"
export GITHUB_API_URL="$URL"
export GITHUB_TOKEN=demo-token-not-a-secret

step "relnotes fetch $WS   (cold: batched GraphQL)"
"${BIN}relnotes" fetch "$WS"
step "relnotes fetch $WS   (warm: served from the cache, 0 requests)"
"${BIN}relnotes" fetch "$WS"
echo "requests the server saw: $(wc -l < "$DEMO/requests.jsonl")"

# Triage learns only from releases older than the worksheet's own, so it never quotes a
# release's answers back. This worksheet is 2.7.0's (it sits in no release folder: --release
# says so), and the shipped history starts at 2.7.0: there is nothing older to learn from.
step "relnotes triage $WS --release 2.7.0 --moves-only"
"${BIN}relnotes" triage "$WS" --release 2.7.0 --moves-only
say "Nothing moves at the 0.9 threshold, and honestly so: with no release before 2.7.0 in" \
    "the history, triage keeps the pre-sort (this worksheet is already sorted). What it" \
    "lists comes from the PR metadata just fetched, not from history: a BC-breaking" \
    "candidate the API profiles confirm, and not-user-facing items whose 'release notes:'" \
    "label or changed files name another domain, left for review (below 0.9). To see" \
    "triage learn, take the same domain's worksheet of a later release as the generator" \
    "wrote it ($GENERATED), in a scratch folder named $NEXT: it is triaged with the" \
    "releases before it (2.7.0, 2.8.0), and no reason cites $NEXT's own decisions."

SCRATCH="$DEMO/$NEXT"
mkdir -p "$SCRATCH/todo"
cp "$GENERATED" "$SCRATCH/todo/result_quantization.md"
cp "data/torch-release-notes/$NEXT/miscategorized.md" "$SCRATCH/miscategorized.md"
chmod -R u+w "$SCRATCH"
cp -r "$SCRATCH" "$DEMO/$NEXT-before"
step "relnotes triage $SCRATCH/todo/result_quantization.md --offline --moves-only"
"${BIN}relnotes" triage "$SCRATCH/todo/result_quantization.md" --offline --moves-only
step "relnotes triage ... --write   (applies the suggestions at confidence >= 0.9; the diff)"
"${BIN}relnotes" triage "$SCRATCH/todo/result_quantization.md" --offline --write
diff -ru "$DEMO/$NEXT-before" "$SCRATCH" | sed -E "s#$DEMO/##g; s#\t[0-9]{4}-[0-9]{2}-[0-9]{2} .*##"
say "The suggestions below the threshold wait for a person: relnotes review walks through" \
    "them, one keystroke each."

step "relnotes check $WS   (the migration snippets, run against torch inside bubblewrap)"
"${BIN}relnotes" check "$WS" | tee "$DEMO/check.out"
if grep -q ': 0 pass, 4 fail, 0 skip' "$DEMO/check.out"; then
    say "These four failures are the finding, not a fault of the demo: the migration code of" \
        "both entries, as the maintainers wrote it, does not run, and 2.7.0's published" \
        "release notes carry the same two mistakes (with torch.export.export). It calls" \
        "capture_pre_autograd_graph(m, *example_inputs) and export_for_training(m," \
        "*example_inputs): the star spreads the tuple of example inputs, but both take the" \
        "tuple itself (args), so they get a bare tensor. And export_for_training returns an" \
        "ExportedProgram, while prepare_pt2e needs its GraphModule, .module(). With these two" \
        "fixes, in a scratch copy, relnotes checks the snippets again:"
else
    say "check did not report the four failures this demo explains (see above: without" \
        "bubblewrap, scripts/ensure-bwrap.sh says how to install it). The same two fixes of" \
        "the snippets, in a scratch copy, checked again:"
fi

FIXED="$DEMO/fixed/quantization.md"
mkdir -p "$DEMO/fixed"
sed -e 's/(m, \*example_inputs)$/(m, example_inputs)/' \
    -e 's/^m = export_for_training(m, example_inputs)$/&.module()/' "$WS" > "$FIXED"
diff -u --label "$WS" --label "$FIXED" "$WS" "$FIXED"
step "relnotes check $FIXED --release 2.7.0"
"${BIN}relnotes" check "$FIXED" --release 2.7.0

echo
if [ "$(todo_state)" = "$before" ]; then
    echo "demo done; todo/ is unchanged (checked); scratch copies are in $DEMO/."
else
    echo "demo done, but todo/ changed: that is a bug, please report it." && exit 1
fi
