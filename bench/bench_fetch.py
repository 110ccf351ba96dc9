"""Benchmark of PR metadata fetching against the local GitHub-compatible server.

2,000 synthetic PyTorch-like PRs (a few percent with more than 100 files, so pagination
happens), 50 ms of injected latency on every request, as a remote API would add:

1. relnotes cold: empty cache, GraphQL batches of 50 (plus pagination rounds).
2. relnotes warm: the same numbers again, everything from the cache.
3. one REST request per PR (``GET /repos/o/r/pulls/N`` through PyGithub, what the
   Kubernetes release-notes tool does); it does not even return file paths, which would
   cost at least one more request per PR (counted from the data, not timed).

Writes bench/results/fetch.md.  Run:  .venv/bin/python bench/bench_fetch.py [--prs 2000]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the test server lives in the repository's tests/

from relnotes.config import Config
from relnotes.fileio import atomic_write
from relnotes.github.fetch import fetch_metadata
from tests.github_server import FakeGitHub, start_server
from tests.github_server.synth import synthesize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rest-sample", type=int, default=0,
                        help="time REST on only this many PRs and extrapolate (0: all)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "fetch.md")
    args = parser.parse_args()
    os.environ.pop("RELNOTES_CACHE", None)  # it would override the temporary cache

    pulls = synthesize(args.prs, seed=1)
    numbers = [int(p["number"]) for p in pulls]
    fake = FakeGitHub(fixtures={"pytorch/pytorch": {int(p["number"]): p for p in pulls}},
                      latency_ms=args.latency_ms)
    server = start_server(fake)
    rows: list[tuple[str, int, float, str]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Config().with_overrides(api_url=server.url, cache_path=f"{tmp}/c.sqlite",
                                             token_env="RELNOTES_BENCH_NO_TOKEN")
            batches = math.ceil(len(numbers) / 50)
            runs = [("relnotes cold (GraphQL, 50 PRs per request)", False, False),
                    ("relnotes warm (cache)", False, False),
                    (("relnotes cold, faults injected (502, 429 + Retry-After 1 s, "
                     "malformed JSON)"), True, True)]
            for label, refresh, faults in runs:
                fake.clear()
                if faults:
                    fake.inject("bad_gateway", path="/graphql")
                    fake.inject("retry_after", path="/graphql", retry_after=1)
                    fake.inject("malformed", path="/graphql")
                start = time.perf_counter()
                result = fetch_metadata(numbers, config=config, refresh=refresh)
                wall = time.perf_counter() - start
                assert not result.failed and len(result.records) == len(numbers)
                sent = len(fake.requests)
                served = sum(r.get("server_ms", 0.0) for r in fake.requests) / 1000
                note = (f"{result.fetched} fetched; ceil(N/50) = {batches}, "
                        f"{sent - batches} more for pagination"
                        + (f" and retries ({result.waited:.0f} s of it waiting)" if faults else "")
                        + f"; {served:.1f} s of it answering in the test server"
                        if result.fetched else f"{result.from_cache} from cache")
                rows.append((label, sent, wall, note))
                complete = sum(len(r.files) == r.changed_files for r in result.records.values())
        rows.append(_rest(server.url, numbers, fake, args.rest_sample))
        extra = sum(max(1, math.ceil(len(p["files"]) / 100)) for p in pulls)
        rows.append(("one REST request per PR + its files (not timed)", len(numbers) + extra,
                     float("nan"), f"{extra} more requests for /pulls/N/files at 100 per page"))
    finally:
        server.stop()

    lines = [
        "# PR metadata fetch benchmark",
        "",
        (f"{args.prs} synthetic PRs from `tests.github_server.synth` (seed 1), local server "
        f"`tests.github_server` (GraphQL by graphql-core) with {args.latency_ms:.0f} ms injected latency per "
        "request, sequential requests, 2-core shared machine. "
        f"Run: `.venv/bin/python bench/bench_fetch.py`. Records with all files: {complete}."),
        "",
        "| way | requests | wall time (s) | notes |",
        "| --- | ---: | ---: | --- |",
    ]
    for label, requests, wall, note in rows:
        shown = "-" if math.isnan(wall) else f"{wall:.2f}"
        lines.append(f"| {label} | {requests} | {shown} | {note} |")
    atomic_write(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


def _rest(url: str, numbers: list[int], fake: FakeGitHub, sample: int
          ) -> tuple[str, int, float, str]:
    from github import Github

    # no PyGithub spacing between requests, to compare transport cost only
    gh = Github(base_url=url, retry=None, seconds_between_requests=None,
                seconds_between_writes=None)
    repo = gh.get_repo("pytorch/pytorch")
    chosen = numbers[:sample] if sample else numbers
    fake.clear()
    start = time.perf_counter()
    for number in chosen:
        pull = repo.get_pull(number)
        assert pull.number == number and pull.title
    wall = time.perf_counter() - start
    served = sum(r.get("server_ms", 0.0) for r in fake.requests) / 1000
    scaled = ""
    if sample and sample < len(numbers):
        wall *= len(numbers) / sample
        served *= len(numbers) / sample
        scaled = f"; timed on {sample}, scaled"
    note = (f"labels and state, no file paths; {served:.1f} s of it answering in the test "
            f"server{scaled}")
    return ("one REST request per PR (PyGithub get_pull)", len(numbers), wall, note)


if __name__ == "__main__":
    main()
