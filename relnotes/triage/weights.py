"""How much each signal counts when :func:`relnotes.triage.assessment.assess` adds them up.

These numbers are set by hand from what each signal means (log-odds towards "published",
votes for a section, probabilities of a move) and are never fitted to a release: what
maintainers decided is learned by the history and the decision rule
(:mod:`relnotes.triage.policy`), whose thresholds and calibration adapt to these weights.
Changing one changes the suggestions: rebuild the shipped decision rule afterwards
(``relnotes history fit relnotes/data/history.json.gz``; a test checks it is current).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WEIGHTS", "Weights"]


@dataclass(frozen=True)
class Weights:
    """The named weights of the assessment, one line each on what it means."""

    # -- priors without history -----------------------------------------------------------
    default_publish_untopiced: float = 0.45
    """Without history: the share of Untopiced items that end up published."""
    default_publish_dropped: float = 0.12
    """Without history: the share of items pre-sorted as not user facing that are published."""
    default_publish_sorted: float = 0.75
    """Without history: the share of items pre-sorted into a published section kept published."""
    default_move: float = 0.03
    """Without history: the probability that an item leaves its domain."""

    # -- the section vote ----------------------------------------------------------------
    presorted_vote: float = 2.0
    """Vote of the pre-sorted published section (labels were right for most such items)."""
    section_prior_weight: float = 0.6
    """How much the domain's usual mix of sections counts (times the log of each share)."""
    section_share_floor: float = 1e-3
    """Smallest share of a section whose log is taken (a section never seen is not -inf)."""
    section_words_weight: float = 0.5
    """How much the title words' lean towards a section counts (history)."""
    section_words_clip: float = 2.0
    """Largest vote (either sign) the title words may give one section."""
    section_words_reason_at: float = 0.75
    """A section's word vote is named in the reasons from this much on."""

    # -- publish log-odds ----------------------------------------------------------------
    publish_words_weight: float = 0.35
    """How much the title words' lean towards published/dropped counts (history)."""
    publish_words_clip: float = 2.5
    """Largest log-odds (either sign) the title words may add to "published"."""
    publish_words_reason_at: float = 0.5
    """The words' lean is named in the reasons from this much log-odds on."""
    neighbour: float = 1.5
    """Log-odds (and section vote) of a near-identical past item's fate."""
    metadata_exit_at: float = -3.0
    """PR metadata this negative (tests-only files, a not-user-facing label) is strong
    enough for a pre-sorted BC-breaking/deprecation item to leave."""
    revert_pair: float = 6.0
    """Log-odds against publishing an item whose revert (or original) is in the release."""
    entry_publish: float = 6.0
    """Log-odds for publishing a BC/deprecation item whose entry is already written."""
    entry_vote: float = 8.0
    """Vote for the section of such a written entry (it pins the item there)."""

    # -- leaving the domain --------------------------------------------------------------
    move_in_family: float = 0.3
    """Probability of a move to the domain a tag names, within one family of domains
    (``distributed`` / ``distributed (dtensor)`` trade items both ways)."""
    move_by_tag: float = 0.65
    """Probability of a move to the domain a tag names, outside the item's family."""
    move_by_label: float = 0.9
    """Probability of a move to the domain a ``release notes:`` label names (the author
    filed it there; the generator usually agrees, so it rarely differs)."""
    move_by_paths: float = 0.75
    """Probability of a move to the domain owning two thirds of the PR's changed files
    (even within a family: the files name the sub-domain)."""
    move_pseudocount: float = 3.0
    """Past items it takes to pull that probability halfway to what maintainers did."""
    move_by_words_at: float = 0.3
    """A move suggested by the title's words counts from this probability on."""
    move_confidence_cap: float = 0.85
    """Highest confidence of a move to another domain: below the default
    ``min_confidence``, so sending an item to another team is never applied unreviewed."""


WEIGHTS = Weights()
"""The weights triage uses."""
