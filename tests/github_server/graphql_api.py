"""The GraphQL half of the test server: GitHub's schema, cut to what relnotes asks.

The query relnotes sends (``relnotes.github.client.build_query``: aliased
``pullRequest(number:)`` fields under ``repository(owner:, name:)``, a fragment on
``PullRequest``, paginated ``labels`` and ``files``) is parsed, validated and executed by
graphql-core against the schema below, so a field or argument GitHub does not have is
refused here as GitHub refuses it. The types, nullability and error shapes follow
GitHub's: a PR that cannot be resolved is ``null`` with an entry in ``errors`` carrying
its path and a ``type`` (``NOT_FOUND``, ``INTERNAL``), and the rest of the query answers.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, build_schema, graphql_sync

if TYPE_CHECKING:
    from tests.github_server.server import FakeGitHub

__all__ = ["SCHEMA", "FieldError", "execute"]

FILES_CAP = 3000  # GitHub lists at most 3,000 changed files of a PR

SCHEMA = build_schema('''
    scalar DateTime

    type Query {
      repository(owner: String!, name: String!): Repository
      viewer: User!
      rateLimit: RateLimit
    }

    type RateLimit { limit: Int!  cost: Int!  remaining: Int!  resetAt: DateTime! }

    type Repository {
      nameWithOwner: String!
      pullRequest(number: Int!): PullRequest
    }

    enum PullRequestState { OPEN CLOSED MERGED }

    interface Actor { login: String! }
    type User implements Actor { login: String! }

    type PullRequest {
      number: Int!
      title: String!
      body: String!
      state: PullRequestState!
      merged: Boolean!
      mergedAt: DateTime
      updatedAt: DateTime!
      createdAt: DateTime!
      baseRefName: String!
      changedFiles: Int!
      author: Actor
      labels(first: Int, after: String): LabelConnection
      files(first: Int, after: String): PullRequestChangedFileConnection
    }

    type PageInfo { hasNextPage: Boolean!  endCursor: String }

    type Label { name: String! }
    type LabelEdge { node: Label }
    type LabelConnection {
      totalCount: Int!
      pageInfo: PageInfo!
      nodes: [Label]
      edges: [LabelEdge]
    }

    type PullRequestChangedFile { path: String! }
    type PullRequestChangedFileEdge { node: PullRequestChangedFile }
    type PullRequestChangedFileConnection {
      totalCount: Int!
      pageInfo: PageInfo!
      nodes: [PullRequestChangedFile]
      edges: [PullRequestChangedFileEdge]
    }
''')


class FieldError(Exception):
    """Raised by a resolver: this field is null, with a GitHub-style error ``type``."""

    def __init__(self, message: str, *, type: str = "NOT_FOUND") -> None:
        super().__init__(message)
        self.type = type


def execute(fake: FakeGitHub, query: str, *,
            variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """GitHub's answer to ``query``: ``{"data": ..., "errors": [...]}``; a document that
    does not parse or validate gets ``errors`` only."""
    result = graphql_sync(SCHEMA, query, root_value=_Root(fake),
                          variable_values=variables or {})
    out: dict[str, Any] = {}
    if result.data is not None:
        out["data"] = result.data
    if result.errors:
        out["errors"] = [_error_json(error) for error in result.errors]
    return out


def _error_json(error: GraphQLError) -> dict[str, Any]:
    shaped: dict[str, Any] = dict(error.formatted)
    if isinstance(error.original_error, FieldError):
        shaped["type"] = error.original_error.type
    return shaped


class _Root:
    """The ``Query`` type over the server's fixtures and configured repositories."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake
        self.viewer = {"__typename": "User", "login": fake.login}
        self.rateLimit = {"limit": 5000, "cost": 1, "remaining": 4999,
                          "resetAt": "2030-01-01T00:00:00Z"}

    def repository(self, _info: Any, *, owner: str, name: str) -> _Repository:
        full = f"{owner}/{name}"
        prs = self.fake.fixtures.get(full)
        if prs is None and full in self.fake.repos:
            prs = {}  # configured, without fixture PRs
        if prs is None:
            raise FieldError(f"Could not resolve to a Repository with the name '{full}'.")
        return _Repository(self.fake, full, prs)


class _Repository:
    def __init__(self, fake: FakeGitHub, full: str, prs: dict[int, dict[str, Any]]) -> None:
        self.fake = fake
        self.nameWithOwner = full
        self.prs = prs

    def pullRequest(self, _info: Any, *, number: int) -> dict[str, Any]:
        if self.fake.pr_errors.get(number, 0) > 0:  # one alias fails, the query answers
            self.fake.pr_errors[number] -= 1
            raise FieldError("Something went wrong while executing your query.",
                             type="INTERNAL")
        pr = self.prs.get(number)
        if pr is None:
            raise FieldError(f"Could not resolve to a PullRequest with the number of {number}.")
        return _pull(pr)


def _pull(pr: dict[str, Any]) -> dict[str, Any]:
    files = list(pr.get("files", []))
    return {
        "number": int(pr["number"]), "title": pr.get("title", ""), "body": pr.get("body", ""),
        "state": str(pr.get("state", "MERGED")).upper(), "merged": bool(pr.get("merged")),
        "mergedAt": pr.get("mergedAt"), "updatedAt": pr.get("updatedAt"),
        "createdAt": pr.get("createdAt"), "baseRefName": "main",
        "changedFiles": int(pr.get("changedFiles", len(files))),
        "author": {"__typename": "User", "login": pr["author"]} if pr.get("author") else None,
        "labels": _connection("labels", [{"name": n} for n in pr.get("labels", [])]),
        "files": _connection("files", [{"path": p} for p in files[:FILES_CAP]]),
    }


def _connection(name: str, nodes: list[dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A connection over ``nodes`` with opaque offset cursors, at most 100 per page."""

    def page(_info: Any, *, first: int | None = None, after: str | None = None
             ) -> dict[str, Any]:
        if first is None or not 1 <= first <= 100:
            raise FieldError(f"`first` on the `{name}` connection must be between 1 and 100",
                             type="INVALID_ARGUMENT")
        start = int(base64.b64decode(after).decode().split(":")[1]) if after else 0
        chunk = nodes[start:start + first]
        end = start + len(chunk)
        return {"totalCount": len(nodes), "nodes": chunk,
                "edges": [{"node": node} for node in chunk],
                "pageInfo": {"hasNextPage": end < len(nodes),
                             "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode()}}

    return page
