"""One version parser for settings, wheels, tags and the labels people write."""

from __future__ import annotations

import pytest

from relnotes.errors import UsageError
from relnotes.versions import Version, parse_version, require_version


@pytest.mark.parametrize("text, expected", [
    ("2.7", Version(2, 7)),
    ("2.7.0", Version(2, 7, 0)),
    ("v2.7.1", Version(2, 7, 1)),
    ("2.13.0+cpu", Version(2, 13, 0)),
    ("2.9.0.dev20250101", Version(2, 9, 0)),
    ("2.8.0rc1", Version(2, 8, 0)),
    ("pytorch 2.7", Version(2, 7)),
    ("Version 2.7.0:", Version(2, 7, 0)),
    ("In 2.8.0", Version(2, 8, 0)),
    ("**2.7**", Version(2, 7)),
    ("PyTorch 2.6 and earlier", Version(2, 6)),
    ("torch (2.6):", Version(2, 6)),
])
def test_versions_people_write(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", [
    "", "2", "fixed in 2.7 for users", "see #2.7", "version", "2.x", "a2.7", "2.7 is out",
])
def test_text_containing_a_number_is_not_a_version(text: str) -> None:
    assert parse_version(text) is None


def test_version_helpers() -> None:
    v = Version(2, 8, 0)
    assert (str(v), v.mm, v.line) == ("2.8.0", "2.8", (2, 8))
    assert v.previous() == Version(2, 7) and Version(3, 0).previous() is None
    assert Version(2, 10) > Version(2, 9)  # numeric, not text, order
    assert str(Version(2, 7)) == "2.7"


def test_require_version_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a torch version"):
        require_version("latest")
