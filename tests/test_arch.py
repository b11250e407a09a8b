"""The architecture text: parsing, canonical form, shape inference, and one clear error per
kind of mistake, naming the token and its position."""

import pytest

from cnnviz.nn import ARCH_PRESETS, ArchitectureError, PRESETS, parse_arch
from cnnviz.nn.arch import MAX_PARAMETERS, resolve_arch


def test_lenet_text_gives_the_article_network_layer_by_layer():
    arch = parse_arch("conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10")
    assert [(l.name, l.kind, l.output_shape) for l in arch.layers] == [
        ("conv1", "conv", (20, 24, 24)), ("relu1", "relu", (20, 24, 24)),
        ("pool1", "maxpool", (20, 12, 12)), ("conv2", "conv", (50, 8, 8)),
        ("relu2", "relu", (50, 8, 8)), ("pool2", "maxpool", (50, 4, 4)),
        ("flatten", "flatten", (800,)), ("fc1", "dense", (500,)), ("relu3", "relu", (500,)),
        ("fc2", "dense", (10,))]
    assert arch.parameter_count == 431080 and arch.classes == 10
    conv2 = arch.layers[3]
    assert conv2.params == (("conv2.weight", (50, 20, 5, 5)), ("conv2.bias", (50,)))
    assert conv2.input == "pool1" and conv2.input_shape == (20, 12, 12)
    assert (conv2.kernel_size, conv2.padding, conv2.stride) == (5, 0, 1)
    assert conv2.token == "conv50x5" and conv2.position == 4
    assert arch.layers[0].input == "input" and arch.layers[7].input == "flatten"


def test_padding_stride_and_the_new_layer_kinds():
    arch = parse_arch("conv8x3p1 tanh maxpool avgpool conv4x3s2 sigmoid dropout25 fc32 relu fc10")
    shapes = {l.name: l.output_shape for l in arch.layers}
    assert shapes["conv1"] == (8, 28, 28)              # 28 + 2 * 1 - 3 + 1
    assert shapes["pool1"] == (8, 14, 14)
    assert shapes["avgpool2"] == (8, 7, 7)             # pools numbered together
    assert shapes["conv2"] == (4, 3, 3)                # (7 - 3) // 2 + 1
    assert shapes["dropout1"] == (4, 3, 3) and shapes["flatten"] == (36,)
    assert [l.name for l in arch.layers if l.kind in ("tanh", "sigmoid", "relu")] == \
        ["tanh1", "sigmoid2", "relu3"]                 # activations numbered together
    assert next(l for l in arch.layers if l.kind == "dropout").rate == 0.25
    assert [l.name for l in arch.layers if l.params] == ["conv1", "conv2", "fc1", "fc2"]


def test_canonical_text_is_lower_case_single_spaced_and_drops_defaults():
    assert parse_arch("  CONV8x3p0s1,  Relu\n maxpool   FC10 ").text == "conv8x3 relu maxpool fc10"
    assert parse_arch("conv8x3p1s2 fc10").text == "conv8x3p1s2 fc10"
    text = "conv8x3p1 relu maxpool conv16x3p1 relu maxpool fc64 relu fc10"
    assert parse_arch(parse_arch(text).text) == parse_arch(text)


def test_presets_are_text_and_parse():
    assert ARCH_PRESETS["lenet"] == "conv20x5 relu maxpool conv50x5 relu maxpool fc500 relu fc10"
    assert ARCH_PRESETS["seed"] == "conv20x5 relu maxpool conv50x5 relu maxpool fc500 sigmoid fc10"
    for name, text in ARCH_PRESETS.items():
        assert parse_arch(text).text == text, name
        assert PRESETS[name].arch == text and PRESETS[name].network == parse_arch(text)
    assert resolve_arch("lenet") == parse_arch(ARCH_PRESETS["lenet"])
    assert any(l.padding for l in parse_arch(ARCH_PRESETS["deep"]).layers)
    assert parse_arch(ARCH_PRESETS["tiny"]).parameter_count < 10_000


@pytest.mark.parametrize("text,position,token,words", [
    ("conv8x3 relu maxpool conv8x3 relu maxpool fc10", 6, "maxpool", ["even", "8@11x11"]),
    ("conv8x5s3 maxpool maxpool maxpool maxpool fc10", 5, "maxpool", ["even", "1x1", "nothing"]),
    ("conv8x30 fc10", 1, "conv8x30", ["30x30", "does not fit", "28x28"]),
    ("conv8x3 relu fc64 relu", 4, "relu", ["nothing may follow the last fc"]),
    ("conv8x3 relu maxpool", 3, "maxpool", ["last layer must be an fc"]),
    # a malformed token is named for what is wrong with it, even before any fc is typed
    ("conv8x3 relu conv", 3, "conv", ["unknown layer", "conv<F>x<K>"]),
    ("conv0x3", 1, "conv0x3", ["at least 1"]),
    ("conv8x3 relu6", 2, "relu6", ["unknown layer"]),
    ("conv8x5 relu maxpool conv8x4 maxpool", 5, "maxpool", ["even", "8@9x9"]),
    ("dropout150", 1, "dropout150", ["1 to 99"]),
    ("fc64 conv8x3 fc10", 2, "conv8x3", ["cannot follow an fc"]),
    ("fc64 maxpool fc10", 2, "maxpool", ["cannot follow an fc"]),
    ("conv8x3 rleu fc10", 2, "rleu", ["unknown layer", "relu"]),
    ("conv8 fc10", 1, "conv8", ["conv<F>x<K>"]),
    ("conv8x3p3 fc10", 1, "conv8x3p3", ["padding 3", "smaller than the kernel"]),
    ("conv0x3 fc10", 1, "conv0x3", ["at least 1"]),
    ("conv8x3s0 fc10", 1, "conv8x3s0", ["at least 1"]),
    ("dropout0 fc10", 1, "dropout0", ["1 to 99"]),
    ("dropout100 fc10", 1, "dropout100", ["1 to 99"]),
    ("fc1", 1, "fc1", ["at least 2 units"]),
    ("conv8x3 softmax fc10", 2, "softmax", ["implied"]),
    ("fc100000 fc100000 fc10", 2, "fc100000", [f"{MAX_PARAMETERS:,}"]),
])
def test_errors_name_the_token_and_its_position(text, position, token, words):
    with pytest.raises(ArchitectureError) as info:
        parse_arch(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.position, err.token) == (position, token)
    message = str(err)
    assert message.startswith(f"token {position} '{token}': ")
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert text.lower()[err.start:err.end] == token     # the span an editor underlines


def test_an_error_keeps_the_layers_that_parsed_before_it():
    with pytest.raises(ArchitectureError) as info:
        parse_arch("conv8x3 relu maxpool conv8x3 relu maxpool fc10")
    assert [l.name for l in info.value.layers] == ["conv1", "relu1", "pool1", "conv2", "relu2"]


def test_empty_text_and_unknown_preset():
    with pytest.raises(ArchitectureError, match="empty"):
        parse_arch("   ")
    with pytest.raises(ArchitectureError, match="unknown preset 'resnet'"):
        resolve_arch("resnet")


def test_code_outside_the_engine_reads_the_kind_families_from_it():
    # A new activation or pool kind is added to nn/arch.py's ACTIVATIONS / POOLS once; the
    # explain helpers every view uses read those (they each kept a list of their own).
    import importlib

    from cnnviz.nn.arch import ACTIVATIONS, POOLS
    conv_arithmetic, map_groups, network_walk, replay_trace, top_patches = (
        importlib.import_module(f"cnnviz.explain.{name}") for name in (
            "conv_arithmetic", "map_groups", "network_walk", "replay_trace", "top_patches"))
    for module in (conv_arithmetic, map_groups, replay_trace):
        assert module.ACTIVATION_KINDS is ACTIVATIONS and module.POOL_KINDS is POOLS
    assert network_walk.ACTIVATIONS == set(ACTIVATIONS)
    assert network_walk.CHANNELWISE >= set(ACTIVATIONS) | set(POOLS)
    assert top_patches._PER_CHANNEL == set(ACTIVATIONS) | set(POOLS)
