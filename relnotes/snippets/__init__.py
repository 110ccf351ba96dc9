"""Checking release-note snippets: static checks, emulation, the sandboxed runner.

Nothing is imported here eagerly: the runtime modules import torch, and ``import
relnotes`` must stay cheap. Import the submodule you need.
"""

from __future__ import annotations

__all__: list[str] = []
