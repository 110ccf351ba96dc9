"""``python -m tests.github_server``: the test server on its own, for demos and by hand.

Run from the repository root; it prints ``fake GitHub serving N PRs at URL`` once it
listens, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.github_server.server import FIXTURES_DIR, FakeGitHub, load_fixtures, start_server
from tests.github_server.synth import synthesize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.github_server",
        description="GitHub-compatible test server (GraphQL PR metadata + PR submission REST).")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES_DIR,
                        help="folder of *.json PR fixtures")
    parser.add_argument("--log", type=Path, help="append one JSON line per request here")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also serve N synthetic pytorch/pytorch PRs")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay of every request")
    parser.add_argument("--token", help="require this token (401 otherwise)")
    parser.add_argument("--repo", action="append", default=[], metavar="OWNER/NAME",
                        help="also answer for this repository (repeatable)")
    parser.add_argument("--default-branch", default="main",
                        help="default branch of the --repo repositories")
    parser.add_argument("--git-dir", type=Path,
                        help="git repository (e.g. a bare remote) backing the --repo "
                             "repositories: branches and pull-request files come from it")
    args = parser.parse_args(argv)
    fixtures = load_fixtures(args.fixtures)
    if args.synthetic:
        prs = fixtures.setdefault("pytorch/pytorch", {})
        for pr in synthesize(args.synthetic):
            prs.setdefault(int(pr["number"]), pr)
    fake = FakeGitHub(fixtures=fixtures, latency_ms=args.latency_ms, log_path=args.log,
                      token=args.token)
    for repo in args.repo:
        try:
            fake.add_repo(repo, default_branch=args.default_branch, git_dir=args.git_dir)
        except ValueError as exc:
            parser.error(str(exc))
    running = start_server(fake, port=args.port)
    print(f"fake GitHub serving {sum(map(len, fixtures.values()))} PRs at {running.url}",
          flush=True)
    try:
        running.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
