"""The high-stakes detector: is this item BC-breaking or a deprecation?

The worksheet's instructions put the most weight on these two sections, and a missed
BC-breaking change costs users far more than a wrongly flagged one costs a maintainer.
So the detector looks everywhere relnotes can look and adds up evidence, each piece
with its reason:

- the title's wording (removes, renames, no longer, now raises, changes the default,
  drops support, deprecates, toolchain and platform versions dropped);
- the API profiles: a public name the title mentions that the previous release had and
  this one lacks (or whose signature changed); a name still there that now warns; a
  public re-export or a whole public module the title says it removes (the evidence
  ``relnotes check`` reads from the same profiles);
- PR labels and body, when fetched;
- what past releases' maintainers filed as BC-breaking or deprecation, by title words.

Wording weights are set by hand from what the words mean; the history part and the
threshold above which an item is flagged are learned (see :mod:`relnotes.triage.policy`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from relnotes.categories import HIGH_STAKES
from relnotes.triage.apidiff import ApiDiff
from relnotes.triage.history import History, top_words
from relnotes.triage.metadata_signals import MetadataSignals
from relnotes.triage.tables import tables
from relnotes.triage.textscan import GateSet

__all__ = ["BC", "DEPRECATION", "WORDING", "Stakes", "assess_stakes", "history_term"]

BC, DEPRECATION = HIGH_STAKES

_API_OBJECT = (r"(api|apis|argument|arg|args|kwarg|kwargs|parameter|param|option|flag|config|"
               r"setting|function|method|class|module|attribute|alias|backend|field|property|"
               r"operator|overload|env(ironment)? var\w*|mode)s?")
_TOOLCHAIN = (r"(cuda[ -]?1\d(\.\d)?|cu1\d\d|python ?3\.\d+|py ?3\.?\d+|conda|anaconda|manylinux|"
              r"cxx11|gcc ?\d+|vs ?20\d\d|visual studio|macos ?1\d|glibc|numpy ?1|rocm ?\d|"
              r"cudnn ?\d|nccl ?\d|c\+\+ ?1[147])")


@dataclass(frozen=True)
class Wording:
    id: str
    pattern: re.Pattern[str]
    kind: str
    weight: float
    reason: str
    needs_name: bool = False  # counts fully only when the title names code or an API object


def _w(id: str, pattern: str, kind: str, weight: float, reason: str,
       needs_name: bool = False) -> Wording:
    return Wording(id, re.compile(pattern, re.IGNORECASE), kind, weight, reason, needs_name)


# id     pattern                                                  kind         weight reason
WORDING: tuple[Wording, ...] = (
    _w("B01", r"\bbc[- ]?break|\bbackwards?[- ]?incompatib|\bbreaking change", BC, 4.0,
       "says it is BC-breaking"),
    _w("B02", r"\bdeprecat", DEPRECATION, 3.5, "deprecation wording"),
    _w("B03", r"\bno longer\b", BC, 2.5, "'no longer'"),
    _w("B04", r"\bnow (raises|errors|throws|fails|warns|requires|returns)\b|\berror out\b|"
       r"\bdisallow|\bforbid|\bnot (allowed|supported) anymore", BC, 2.0,
       "behaviour that used to work now errors"),
    _w("B05", r"\bchange[sd]? (the )?default|\bdefaults? (to|is now)\b|"
       r"\bas (the )?default\b|\bnew default\b|\bupdate[sd]? (the )?default|\bdefault (mode|value|opset)",
       BC, 2.5, "changes a default"),
    _w("B06", r"\bdrop(s|ped|ping)? support|\bremov\w* support|\bend of support|"
       r"\bno longer support|\bunsupported\b", BC, 3.0, "drops support"),
    _w("B07", rf"\b(remove[sd]?|removing|delete[sd]?|deleting|drop(s|ped)?|kill(s|ed)?)\b.*\b{_API_OBJECT}\b|"
       rf"\b{_API_OBJECT}\b.*\b(removed|deleted|dropped)\b", BC, 2.5, "removes an API"),
    _w("B08", r"^\s*(\[[^\]]*\]\s*)*(remove[sd]?|removing|delete[sd]?|deleting|drop(s|ped)?)\b",
       BC, 1.5, "removes something", needs_name=True),
    _w("B09", r"\brenam(e|es|ed|ing)\b", BC, 1.5, "renames something", needs_name=True),
    _w("B10", rf"\b(remove[sd]?|removing|delete[sd]?|drop(s|ped)?|deprecat\w*|migrat\w*|"
       rf"move[sd]? away|stop\w*|clean ?-?up\w*|get rid of|retire[sd]?)\b.*\b{_TOOLCHAIN}|"
       rf"\b{_TOOLCHAIN}\b.*\b(removed|dropped|deprecated|retired)\b",
       DEPRECATION, 2.5, "drops a toolchain or platform version"),
    _w("B13", rf"\b(mov\w*|migrat\w*|updat\w*|upgrad\w*|advanc\w*|switch\w*|bump\w*|"
       rf"replac\w*)\b.*\b{_TOOLCHAIN}|\b{_TOOLCHAIN}.*(->|\bto\b)", DEPRECATION, 1.0,
       "moves to another toolchain or platform version (the old one goes)"),
    _w("B11", r"\b(add|adds|added|emit|raise|issue|throw)s? (a )?(future|user)?\s*warn", DEPRECATION, 1.0,
       "adds a warning"),
    _w("B12", r"\bsuggest\w* (users|to use)|\binstead of\b|\bin favou?r of\b|\bmigrat\w+ to\b",
       DEPRECATION, 1.0, "points users to a replacement"),
)

# Wording that says the change is internal: it weakens everything above.
_INTERNAL = re.compile(
    r"\bunused\b|\bdead code\b|\btests?\b|\btest_\w+|\bci\b|\btyping\b|\bmypy\b|\blint|"
    r"\brefactor|\binternal\b|\bbenchmark|^\s*revert\b|\bcodemod|\bflaky\b|\bdocs?\b|\btypo",
    re.IGNORECASE)
_LIKELY_DEP = re.compile(r"\bdeprecat|\bwarn", re.IGNORECASE)
# A public name or module the title removes, per the API profiles.
API_REMOVED = 3.0
# Clip of the history's word evidence, so words alone cannot outvote the wording.
HISTORY_SCALE = 0.8
HISTORY_CLIP = (-1.5, 2.5)


@dataclass
class Stakes:
    """The evidence that an item is BC-breaking or a deprecation, and which of the two."""

    score: float = 0.0
    kind: str = BC
    reasons: list[str] = field(default_factory=list)
    api_removed: bool = False  # hard evidence from the API profiles
    labelled: bool = False  # a PR label or the body says so
    # The parts the decision rule weighs (relnotes.triage.policy.Policy.stakes_score):
    evidence: float = 0.0  # wording, API profiles and labels (hand weights)
    words: float = 0.0  # history's word log-odds towards BC/deprecation (raw sum)
    domain_rate: float = 0.0  # how much more often than average the domain had such items
    domain_kind: str | None = None  # what the domain's past such items mostly were
    words_note: str = ""  # the words behind ``words``, for a reason (weighed by the policy)
    lr: float = 0.0  # the fate model's log-odds of BC-breaking/deprecation (policy weighs it)

    def add(self, kind: str, weight: float, reason: str, scores: dict[str, float]) -> None:
        scores[kind] += weight
        self.score += weight
        self.reasons.append(f"{reason} ({weight:+.1f})")


def assess_stakes(title: str, domain: str, *, history: History | None = None,
                  api: ApiDiff | None = None, meta: MetadataSignals | None = None,
                  ) -> Stakes:
    """Add up the BC/deprecation evidence of one item (``title`` without PR links)."""
    out = Stakes()
    scores = {BC: 0.0, DEPRECATION: 0.0}
    changes = api.changes_in(title) if api is not None else []
    names = api.names_in(title) if api is not None else _code_names(title)
    public = [n for n in names if not n.rsplit(".", 1)[-1].startswith("_")]
    wording, internal, likely_dep = _scan(title)
    for rule in wording:
        weight = rule.weight
        if rule.needs_name and not public:
            weight = 0.5
        out.add(rule.kind, weight, f"{rule.id} {rule.reason}", scores)
    if internal and out.score > 0 and domain not in tables().infrastructure:
        # worksheets whose subject is CI and builds: "CI" is not internal wording there
        out.add(BC, -min(out.score, 2.0), "internal wording (tests, CI, typing, unused...)",
                scores)
    for change in changes:
        assert api is not None  # changes come from it
        reason = change.describe(api.old_version, api.new_version)
        if change.change == "removed":
            out.add(BC, API_REMOVED, reason, scores)
            out.api_removed = True
        elif change.change == "signature":
            out.add(BC, 1.0, reason, scores)
        elif likely_dep:
            out.add(DEPRECATION, 1.0, reason + ", and the title says it warns", scores)
    if api is not None and not out.api_removed:
        # one piece of API evidence is enough: several removed names say the same
        for change in api.removals_in(title)[:1]:
            out.add(BC, API_REMOVED, change.describe(api.old_version, api.new_version), scores)
            out.api_removed = True
    if meta is not None:
        for kind in (BC, DEPRECATION):
            vote = meta.votes.get(kind, 0.0)
            if vote > 0:
                out.labelled = True
                out.add(kind, vote, "PR label or body says so", scores)
    out.evidence = out.score
    if history is not None and len(history):
        out.words, words = history.stakes_evidence(title, domain)
        out.domain_rate, out.domain_kind = history.stakes_rate(domain)
        evidence = history_term(out.words)
        scores[DEPRECATION if likely_dep else BC] += evidence
        out.score += evidence
        if words:
            lean = "towards" if out.words > 0 else "away from"
            out.words_note = (f"title words lean {lean} BC-breaking/deprecation in past "
                              f"releases: {', '.join(top_words(words))}")
    if scores[DEPRECATION] == scores[BC] == 0 and out.domain_kind is not None:
        out.kind = out.domain_kind  # nothing but the words: what the domain's usually were
    else:
        out.kind = DEPRECATION if scores[DEPRECATION] > scores[BC] else BC
    return out


def history_term(words: float, scale: float = HISTORY_SCALE) -> float:
    """The history's word evidence as it counts in the score: scaled and clipped, so
    words alone cannot outvote the wording."""
    lo, hi = (c * scale / HISTORY_SCALE for c in HISTORY_CLIP)
    return max(lo, min(hi, scale * words))


@lru_cache(maxsize=1 << 16)
def _scan(title: str) -> tuple[tuple[Wording, ...], bool, bool]:
    """(wording rules that match, internal wording?, warning wording?) of a title."""
    hits = _gates().matching(title)
    n = len(WORDING)
    return (tuple(WORDING[i] for i in hits if i < n), n in hits, n + 1 in hits)


@lru_cache(maxsize=1)
def _gates() -> GateSet:
    """The wording patterns with their needles (derived on first use, not at import)."""
    return GateSet([*(w.pattern for w in WORDING), _INTERNAL, _LIKELY_DEP])

_CODE = re.compile(r"`[^`]+`|\btorch\.\w+|\b[a-z]\w*_\w+\b|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b")


def _code_names(title: str) -> list[str]:
    """Code-like words when there are no API profiles to look them up in."""
    return [m.group(0).strip("`") for m in _CODE.finditer(title)]
