"""Claims of the README that are outputs of the code base are checked, so they stay true."""

from __future__ import annotations

import re

from tests.helpers import REPO


def test_the_type_ignore_count_is_the_one_the_readme_states() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"with (\d+) `type: ignore` comments", readme)
    assert stated is not None, "the README no longer states how many type: ignore there are"
    found = [f"{path.relative_to(REPO)}:{n}" for path in sorted((REPO / "relnotes").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if "type: ignore" in line]
    assert int(stated.group(1)) == len(found), found
