"""relnotes' own ``XPUInductorQuantizer``, with the behaviour PyTorch 2.7 shipped.

``torch.ao.quantization.quantizer.xpu_inductor_quantizer`` existed in torch 2.6 to 2.10
and is gone from the torch installed here. Snippets labelled with those versions import
it, so the emulation layer serves this module under that path. It is built on torchao's
``X86InductorQuantizer`` (both target oneDNN) and only changes what 2.7 changed for XPU:

* the default config: activations int8 per-tensor affine observed by a
  ``HistogramObserver``, weights int8 per-channel symmetric on axis 0 observed by a
  ``PerChannelMinMaxObserver`` (both with ``eps=2**-12``), no bias spec, not QAT;
* no QAT conv fusion annotations (XPU had no QAT kernels);
* ``max_pool2d`` is neither annotated nor given an int8-in/int8-out shared output
  (``quantized::max_pool2d`` is CPU-only), so it runs in fp32 between q/dq pairs.

It needs no XPU device: annotation and conversion are graph transformations on CPU.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch.fx import GraphModule, Node
from torchao.quantization.pt2e.observer import HistogramObserver, PerChannelMinMaxObserver
from torchao.quantization.pt2e.quantizer import QuantizationConfig, QuantizationSpec
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    _is_any_annotated,
    int8_in_int8_out_ops,
)

__all__ = ["XPUInductorQuantizer", "get_default_xpu_inductor_quantization_config"]

_OBSERVER_EPS = 2**-12


@functools.lru_cache
def get_default_xpu_inductor_quantization_config() -> QuantizationConfig:
    """The static post-training config torch 2.7 used for XPU (cached, like torch's)."""
    activation = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_tensor_affine,
        is_dynamic=False,
        observer_or_fake_quant_ctr=HistogramObserver.with_args(eps=_OBSERVER_EPS),
    )
    weight = QuantizationSpec(
        dtype=torch.int8,
        quant_min=-128,
        quant_max=127,
        qscheme=torch.per_channel_symmetric,
        ch_axis=0,  # conv weight is (out_channels, in_channels, kh, kw)
        is_dynamic=False,
        observer_or_fake_quant_ctr=PerChannelMinMaxObserver.with_args(eps=_OBSERVER_EPS),
    )
    # input activation, output activation, weight, bias (None: placeholder observer), is_qat
    return QuantizationConfig(activation, activation, weight, None, False)


class XPUInductorQuantizer(X86InductorQuantizer):  # type: ignore[misc]  # torchao: untyped
    """X86InductorQuantizer minus the patterns XPU had no kernels for in torch 2.7."""

    def _annotate_qat_conv2d_fusion_pattern(
        self, model: GraphModule, quantization_config: Any, filter_fn: Any = None
    ) -> None:
        """No QAT conv fusion on XPU: leave those patterns to the plain conv annotators."""
        return

    def _annotate_maxpool2d(self, node: Node, quantization_config: Any) -> None:
        """max_pool2d stays fp32 on XPU (only CPU has a quantized max_pool2d kernel)."""
        return

    def _annotate_output_for_int8_in_int8_out_pattern(self, node: Node) -> None:
        """Share the input observer with the output, except for max_pool2d (see above)."""
        if node.target not in int8_in_int8_out_ops or not _is_any_annotated([node]):
            return
        if node.target == torch.ops.aten.max_pool2d.default:
            return
        self._annotate_output_share_observer_as_input(node.all_input_nodes[0], node)
