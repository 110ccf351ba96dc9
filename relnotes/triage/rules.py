"""Title rules: one readable table of patterns, each with an id, an effect and a reason.

A rule moves two things: ``publish``, log-odds added to "a user would want to read this"
(negative: internal work), and ``section``, a vote for the section the item belongs in if it
is published. Weights are set by hand from what the rule means, not fitted to a release;
what maintainers actually decided is the job of :mod:`relnotes.triage.history`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from relnotes.triage.tables import tables
from relnotes.triage.textscan import GateSet

__all__ = ["REVERT_RE", "RULES", "Rule", "match_rules", "reverted_title"]


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    publish: float  # log-odds added to "published"
    section: str | None  # section voted for when published (None: no opinion)
    vote: float  # strength of that vote
    reason: str
    not_in: frozenset[str] = frozenset()  # domains whose own subject this is


# CI, pins, runners and build flags are what the releng and build worksheets publish
# (``infrastructure`` of relnotes/data/triage_domains.toml).
_INFRA = tables().infrastructure


def _r(id: str, pattern: str, publish: float, section: str | None, vote: float,
       reason: str, not_in: frozenset[str] = frozenset()) -> Rule:
    return Rule(id, re.compile(pattern, re.IGNORECASE), publish, section, vote, reason, not_in)


_SERIES = r"\[\s*\d+\s*/\s*(\d+|n)\s*\]|\(\s*\d+\s*/\s*(\d+|n)\s*\)"

# id     pattern                                                    publish section      vote  reason
RULES: tuple[Rule, ...] = (
    # -- internal work: tags -------------------------------------------------------------------
    _r("T01", r"\[\s*(be|bE)\s*\]|\bBE:", -1.4, None, 0, "[BE] tag: better-engineering work"),
    _r("T02", r"\[\s*(ez|easy|trivial|nit)\s*\]", -0.9, None, 0, "[Ez]/[Easy] tag: small internal change"),
    _r("T03", r"\[\s*codemod|\bcodemod\b", -3.0, None, 0, "codemod: mechanical rewrite"),
    _r("T04", r"\[\s*(ci|test|tests|testing|ut|benchmark|dashboard)\s*\]", -1.6, "devs", 0.5,
       "[CI]/[test] tag: CI or test work", _INFRA),
    _r("T05", _SERIES, -0.5, None, 0, "part of a series ([N/M]): usually one step of a larger change"),
    _r("T06", r"\[\s*(fb|fbcode|internal|meta|oss|sigmoid|ez-cleanup)\s*\]|\bfbcode\b|\binternal\b",
       -1.2, None, 0, "internal-only tag or wording"),
    # -- typing, lint, formatting ---------------------------------------------------------------
    _r("L01", r"allow-untyped-defs|untyped|\btype (hints?|annotations?)\b|\btyping\b|\bmypy\b|"
       r"\bpyre\b|\bpep ?585\b|\bpep ?604\b|\bannotat(e|ion)s? ", -2.6, None, 0,
       "typing clean-up"),
    _r("L02", r"\bruff\b|clang-tidy|clang-format|\bflake8\b|\blint(er|ing|runner)?\b|\bpyfmt\b|"
       r"\bufmt\b|\bformat(ting)?\b.*\b(files?|code)\b|\bisort\b|\bblack\b|-W[a-z-]+|\bwarnings?\b"
       r".*\b(compil|build)", -2.2, None, 0, "lint or formatting clean-up"),
    _r("L03", r"\btypos?\b|\bspelling\b|\bmisspell", -1.0, "docs", 0.8, "typo fix"),
    # -- tests and CI ---------------------------------------------------------------------------
    _r("C01", r"\b(add|fix|update|enable|disable|skip|unskip|xfail|re-?enable|mark)\w* "
       r"(\w+ ){0,3}(unit ?)?tests?\b|\btests? for\b|\btest_\w+|\bflaky\b|\bunit ?tests?\b|"
       r"\bxfail|\bskipif\b|\btests?\b$", -2.0, None, 0, "tests-only work"),
    _r("C02", r"\bci\b|\bgithub actions?\b|\bworkflows?\b|\brunners?\b|\bdocker\b|\bnightly\b|"
       r"\bbinary builds?\b|\.yml\b|\bhash update\b|\bupdate (the )?pin\b|\bpin\b.*\bupdate|"
       r"\bbump\b|\bsubmodule\b|\bsccache\b|\bmerge rules?\b|\bbot\b",
       -1.5, "devs", 0.6, "CI, pins or build infrastructure", _INFRA),
    # -- reverts and relands --------------------------------------------------------------------
    _r("R01", r"^\s*revert\b|\breverts?\s+\"", -3.5, None, 0, "revert"),
    _r("R02", r"\[\s*reland\s*\]|^\s*re-?land\b", -0.2, None, 0, "reland of an earlier change"),
    # -- internal refactors ---------------------------------------------------------------------
    _r("I01", r"\brefactor|\bclean ?-?ups?\b|\bcleanup\b|\bremove (unused|dead|redundant|"
       r"duplicate|unnecessary)|\bdead code\b|\bunused\b|\brename\b|\bmove\b.*\b(to|into)\b|"
       r"\bsimplif|\bconsolidat|\bdedup", -0.9, None, 0, "refactor or clean-up"),
    _r("I02", r"\blog(s|ging)?\b|\btlparse\b|\bstructured trace|\bdynamo_timed\b|\bcounters?\b|"
       r"\bscuba\b|\bmonitoring\b|\bdebug (info|print)", -0.8, None, 0,
       "logging or internal telemetry"),
    _r("I03", r"\bcompile[- ]time\b.*\b(trac|profil)|\bbenchmarks?\b|\bperf dashboard", -0.6,
       None, 0, "benchmarking or compile-time tracing"),
    # -- user-facing verbs ----------------------------------------------------------------------
    _r("U01", r"^\s*(\[[^\]]*\]\s*)*(fix(es|ed)?|correct|handle|avoid|prevent|resolve)\b|"
       r"\bfix(es|ed)? (a |the )?(bug|crash|segfault|leak|hang|error|issue|regression)|"
       r"\b(segfault|crash|memory leak|deadlock|race condition|overflow|nan)\b",
       0.2, "bug fixes", 1.4, "bug-fix wording"),
    _r("U02", r"\b(add|adds|added|enable|enables|enabled|implement|introduce|expose)\b.*"
       r"\bsupport\b|\bsupport (for )?\w+|\bnow supports?\b",
       0.4, "improvements", 1.0, "adds support for something"),
    _r("U03", r"^\s*(\[[^\]]*\]\s*)*(add|adds|added|introduce|introduces|implement|new)\b",
       0.2, "new features", 0.6, "adds something new"),
    _r("U04", r"\b(speed ?ups?|faster|perf(ormance)?|optimi[sz](e|es|ed|ation)|vectori[sz]|"
       r"throughput|latency|accelerat|reduce (the )?(overhead|memory)|fast path|"
       r"(improve|boost)s? .*(speed|perf))", 0.3, "performance", 1.6, "speed or memory wording"),
    _r("U05", r"\bdoc(s|string|strings|umentation)?\b|\bexamples?\b|\btutorial|\breadme\b|"
       r"\.rst\b|\bdocument(s|ed)?\b", 0.2, "docs", 1.5, "documentation wording"),
    # BC/deprecation wording only raises the publish odds here: whether an item is
    # BC-breaking is the high-stakes detector's call (relnotes.triage.stakes).
    _r("U06", r"\bdeprecat", 1.2, None, 0, "deprecation wording"),
    _r("U07", r"\bbc[- ]?break|\bbackwards?[- ]incompatib|\bbreaking change|\bno longer\b|"
       r"\bremove (support|the deprecated|deprecated)|\bdrop (support|python|cuda)",
       0.8, None, 0, "backward-incompatible wording"),
    _r("U08", r"\b(improve|better|clearer|more informative)\b.*\b(error|message|warning)s?\b|"
       r"\berror messages?\b", 0.1, "improvements", 0.8, "better error messages"),
    _r("U09", r"\btorch\.\w+|\bnn\.\w+|`[^`]+`|\b(api|argument|kwarg|option|flag|dtype|"
       r"operator|op)s?\b", 0.3, "improvements", 0.3, "names a public API"),
    _r("U10", r"\bsecurity\b|\bcve\b|\bvulnerab", 0.8, "security", 2.5, "security wording"),
    _r("D01", r"\bcpp_extension|\bc\+\+ extensions?\b|torch::stable|\bstable (abi|api|librar)|"
       r"\blibtorch\b|\bheaders?\b|\bcmake\b|\bbuild (flags?|options?|system|from source)\b|"
       r"\bUSE_[A-Z0-9_]{3,}|\bsetup\.py\b|\bbazel\b|\btoolchains?\b|\bcompilers?\b|"
       r"\bgcc\b|\bclang\b|\bmsvc\b|\bc\+\+ ?(17|20)\b|\babi\b|\bshims?\b|"
       r"\bextension (authors?|writers?)\b|\bcustom (c\+\+ )?ops? (in|from) c\+\+|\bpybind",
       0.3, "devs", 2.0, "build, C++ extension or ABI wording: people who build or extend PyTorch",
       _INFRA),
)


REVERT_RE = re.compile(r'^\s*Revert\s+"(?P<title>.+?)"?\s*(\(\[#\d+\]|\(#\d+\)|$)', re.IGNORECASE)


def match_rules(title: str, *, domain: str = "") -> list[Rule]:
    """The rules whose pattern occurs in ``title`` (PR links already removed by the caller)."""
    return [rule for rule in _matching(title) if domain not in rule.not_in]


@lru_cache(maxsize=1 << 16)
def _matching(title: str) -> tuple[Rule, ...]:
    """Every rule whose pattern occurs in ``title``, whatever the domain (cached: a
    title's rules are asked for again by the policy and by repeated titles)."""
    return tuple(RULES[i] for i in _gates().matching(title))


@lru_cache(maxsize=1)
def _gates() -> GateSet:
    """The rules' patterns with their needles (derived on first use, not at import)."""
    return GateSet([rule.pattern for rule in RULES])


def reverted_title(title: str) -> str | None:
    """For ``Revert "X"`` the title X being reverted, else ``None``."""
    m = REVERT_RE.match(title)
    if not m:
        return None
    inner = m.group("title").rstrip('"').strip()
    inner = re.sub(r"\s*\((#\d+|[0-9a-f]{7,12})\)\s*$", "", inner)
    return inner or None
