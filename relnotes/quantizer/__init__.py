"""Quantizers relnotes ships so emulated snippets can run where torch no longer has them.

Nothing here is imported by ``import relnotes``: the submodules import torch and torchao.
"""

from __future__ import annotations

__all__ = ["xpu"]
