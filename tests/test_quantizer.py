"""relnotes' bundled XPUInductorQuantizer against torchao's, on the same model."""

from __future__ import annotations

import copy

import pytest

pytestmark = pytest.mark.torch

import torch  # the `snippets` extra is part of the test set-up: a broken install must fail
import torchao  # noqa: F401


def _export(model, inputs):
    return torch.export.export(model, inputs, strict=False).module()


def _quantize(quantizer, model, inputs):
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    prepared = prepare_pt2e(_export(copy.deepcopy(model), inputs), quantizer)
    prepared(*inputs)
    converted = convert_pt2e(prepared)
    converted(*inputs)
    return converted


def _structure(gm):
    """(op, target, args) per node, with nodes named and floats kept exact."""

    def shape(arg):
        if isinstance(arg, torch.fx.Node):
            return ("node", arg.name)
        if isinstance(arg, list | tuple):
            return tuple(shape(a) for a in arg)
        return arg

    return [
        (n.op, str(n.target), shape(n.args), shape(tuple(n.kwargs.items()))) for n in gm.graph.nodes
    ]


@pytest.fixture(scope="module")
def model_and_inputs():
    from relnotes.snippets.fixtures import SmallConvNet

    model = SmallConvNet()
    torch.manual_seed(3)
    return model, (torch.randn(2, 3, 16, 16),)


def _quantizers():
    from torchao.quantization.pt2e.quantizer import xpu_inductor_quantizer as tao

    from relnotes.quantizer import xpu as ours

    mine = ours.XPUInductorQuantizer().set_global(
        ours.get_default_xpu_inductor_quantization_config()
    )
    theirs = tao.XPUInductorQuantizer().set_global(
        tao.get_default_xpu_inductor_quantization_config()
    )
    return mine, theirs


def test_converted_graph_equals_torchao_xpu_quantizer(model_and_inputs):
    model, inputs = model_and_inputs
    mine, theirs = _quantizers()
    ours_gm = _quantize(mine, model, inputs)
    theirs_gm = _quantize(theirs, model, inputs)
    assert _structure(ours_gm) == _structure(theirs_gm)
    assert torch.equal(ours_gm(*inputs), theirs_gm(*inputs))
    # the flow really quantized something: conv and linear sit between q/dq pairs
    targets = [str(n.target) for n in ours_gm.graph.nodes]
    assert any("quantize_per_tensor" in t for t in targets)
    assert any("dequantize_per_channel" in t for t in targets)


def test_max_pool2d_stays_unquantized_unlike_x86(model_and_inputs):
    """The XPU overrides matter: x86 shares the observer across max_pool2d, XPU does not."""
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

    model, inputs = model_and_inputs
    mine, _ = _quantizers()
    x86_q = x86.X86InductorQuantizer().set_global(
        x86.get_default_x86_inductor_quantization_config()
    )

    quantize = torch.ops.quantized_decomposed.quantize_per_tensor.default

    def quantized_after_pool(gm) -> bool:
        pool = next(n for n in gm.graph.nodes if n.target == torch.ops.aten.max_pool2d.default)
        return any(u.target is quantize for u in pool.users)

    assert quantized_after_pool(_quantize(x86_q, model, inputs))  # x86: int8 out of the pool
    assert not quantized_after_pool(_quantize(mine, model, inputs))  # XPU 2.7: not annotated


def test_default_config_matches_torch_2_7():
    from torchao.quantization.pt2e.observer import HistogramObserver, PerChannelMinMaxObserver

    from relnotes.quantizer.xpu import get_default_xpu_inductor_quantization_config

    config = get_default_xpu_inductor_quantization_config()
    act, weight = config.input_activation, config.weight
    assert act is config.output_activation
    assert (act.dtype, act.quant_min, act.quant_max) == (torch.int8, -128, 127)
    assert act.qscheme == torch.per_tensor_affine and not act.is_dynamic
    assert act.observer_or_fake_quant_ctr.p.func is HistogramObserver
    assert act.observer_or_fake_quant_ctr.p.keywords == {"eps": 2**-12}
    assert weight.qscheme == torch.per_channel_symmetric and weight.ch_axis == 0
    assert weight.observer_or_fake_quant_ctr.p.func is PerChannelMinMaxObserver
    assert weight.observer_or_fake_quant_ctr.p.keywords == {"eps": 2**-12}
    assert config.bias is None and config.is_qat is False
    assert get_default_xpu_inductor_quantization_config() is config  # cached like torch's
