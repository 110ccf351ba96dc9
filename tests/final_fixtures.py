"""The final notes built from the real done/ folders, once per test session."""

from __future__ import annotations

from functools import lru_cache

from relnotes.config import Config
from relnotes.final_build import BuildReport, build_final
from relnotes.release import ReleaseFolder
from tests.helpers import DATA


@lru_cache(maxsize=4)
def built(release: str) -> BuildReport:
    return build_final(ReleaseFolder(DATA / release, config=Config()))
