#!/usr/bin/env bash
# relnotes check runs snippet code only inside bubblewrap. Install it when it is missing and
# we can (root with apt-get, as on CI and fresh Debian/Ubuntu machines); otherwise say how.
# Never fails: without bwrap, everything but running snippets still works.
command -v bwrap >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap) \
    >/dev/null 2>&1 && exit 0
fi
echo "note: bubblewrap (bwrap) is not installed; relnotes check will not run snippet code" \
     "until it is (Debian/Ubuntu: sudo apt install bubblewrap; Fedora: sudo dnf install" \
     "bubblewrap)" >&2
exit 0
