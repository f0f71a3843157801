"""Network arithmetic (layers.py): totals of known networks counted here by formula, every layer
against torch where it is installed (parameters, output shapes, FLOPs, and receptive fields
measured with autograd), the print(model) reader, and the errors."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from convcli import fields, layers, torch_layers
from convcli.errors import ConvcliError, ParseError, ShapeError, UsageError
from convcli.modeltext import parse_model

from .conftest import ROOT, SAMPLES

FIXTURES = ROOT / "tests" / "fixtures"

# --- counting by formula, written out here -----------------------------------------------------------


def conv_params(c_in, c_out, k, groups=1, bias=True):
    return c_out * (c_in // groups) * k * k + (c_out if bias else 0)


def linear_params(n, m, bias=True):
    return n * m + (m if bias else 0)


def conv_macs(c_in, c_out, k, out, groups=1):
    """out is the output's height (= width)."""
    return c_out * out * out * (c_in // groups) * k * k


LENET = [
    "Conv2d(3, 6, 5)",
    "MaxPool2d(2)",
    "Conv2d(6, 16, 5)",
    "MaxPool2d(2)",
    "Flatten()",
    "Linear(400, 120)",
    "ReLU()",
    "Linear(120, 84)",
    "Linear(84, 10)",
]

ALEXNET = [  # torchvision.models.alexnet as a chain
    "Conv2d(3, 64, kernel_size=11, stride=4, padding=2)",
    "ReLU(inplace=True)",
    "MaxPool2d(kernel_size=3, stride=2)",
    "Conv2d(64, 192, kernel_size=5, padding=2)",
    "ReLU(inplace=True)",
    "MaxPool2d(kernel_size=3, stride=2)",
    "Conv2d(192, 384, kernel_size=3, padding=1)",
    "ReLU(inplace=True)",
    "Conv2d(384, 256, kernel_size=3, padding=1)",
    "ReLU(inplace=True)",
    "Conv2d(256, 256, kernel_size=3, padding=1)",
    "ReLU(inplace=True)",
    "MaxPool2d(kernel_size=3, stride=2)",
    "AdaptiveAvgPool2d((6, 6))",
    "Flatten()",
    "Dropout(p=0.5)",
    "Linear(9216, 4096)",  # 256 * 6 * 6
    "ReLU(inplace=True)",
    "Dropout(p=0.5)",
    "Linear(4096, 4096)",
    "ReLU(inplace=True)",
    "Linear(4096, 1000)",
]


def _vgg16():
    chain, channels = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            chain.append("MaxPool2d(kernel_size=2, stride=2)")
        else:
            chain += [f"Conv2d({channels}, {v}, kernel_size=3, padding=1)", "ReLU(inplace=True)"]
            channels = v
    return chain + [
        "AdaptiveAvgPool2d((7, 7))",
        "Flatten()",
        "Linear(25088, 4096)",
        "ReLU(True)",
        "Dropout()",
        "Linear(4096, 4096)",
        "ReLU(True)",
        "Dropout()",
        "Linear(4096, 1000)",
    ]


VGG16 = _vgg16()

DEPTHWISE_SEPARABLE = [  # MobileNet's first block: a 3x3 per channel, then a 1x1 across channels
    "Conv2d(32, 32, 3, padding=1, groups=32, bias=False)",
    "BatchNorm2d(32)",
    "ReLU6(inplace=True)",
    "Conv2d(32, 64, 1, bias=False)",
    "BatchNorm2d(64)",
    "ReLU6(inplace=True)",
]

DILATED = [  # a context module: the field doubles with each dilation, without gaps
    "Conv2d(1, 4, 3, padding=1)",
    "Conv2d(4, 4, 3, padding=2, dilation=2)",
    "Conv2d(4, 4, 3, padding=4, dilation=4)",
    "Conv2d(4, 1, 3, padding=8, dilation=8)",
]


def test_lenet_by_formula():
    net = layers.follow_calls((3, 32, 32), LENET)
    params = conv_params(3, 6, 5) + conv_params(6, 16, 5) + linear_params(400, 120)
    params += linear_params(120, 84) + linear_params(84, 10)
    macs = conv_macs(3, 6, 5, 28) + conv_macs(6, 16, 5, 10) + 400 * 120 + 120 * 84 + 84 * 10
    assert (net.params, net.macs, net.flops) == (params, macs, 2 * macs)
    assert net.params == 62_006
    assert [row.output for row in net.rows] == [
        (6, 28, 28),
        (6, 14, 14),
        (16, 10, 10),
        (16, 5, 5),
        (400,),
        (120,),
        (120,),
        (84,),
        (10,),
    ]
    assert [row.params for row in net.rows] == [456, 0, 2416, 0, 0, 48120, 0, 10164, 850]
    one_channel = layers.follow_calls((1, 32, 32), ["Conv2d(1, 6, 5)", *LENET[1:]])
    assert one_channel.params == 61_706 == params - conv_params(3, 6, 5) + conv_params(1, 6, 5)


def test_lenet_receptive_fields_by_hand():
    # conv 5: r = 5, start 2; pool 2: r = 5 + 1 = 6, j = 2, start = 2 + 1/2; conv 5: r = 6 + 4*2 = 14,
    # start = 2.5 + 2*2 = 6.5; pool 2: r = 14 + 1*2 = 16, j = 4, start = 6.5 + 1/2*2 = 7.5
    net = layers.follow_calls((3, 32, 32), LENET)
    firsts = [row.field[0] for row in net.rows[:4]]
    assert [(f.size, f.jump, f.start) for f in firsts] == [
        (5, 1, 2),
        (6, 2, Fraction(5, 2)),
        (14, 2, Fraction(13, 2)),
        (16, 4, Fraction(15, 2)),
    ]
    assert all(row.field == (None, None) for row in net.rows[4:])  # Flatten onwards: the whole input
    assert [fields.field_texts(row.field) for row in net.rows[3:5]] == [("16", "4", "7.5"), ("all", "-", "-")]


def test_alexnet_by_formula():
    net = layers.follow_calls((3, 224, 224), ALEXNET)
    params = (
        conv_params(3, 64, 11)
        + conv_params(64, 192, 5)
        + conv_params(192, 384, 3)
        + conv_params(384, 256, 3)
        + conv_params(256, 256, 3)
        + linear_params(9216, 4096)
        + linear_params(4096, 4096)
        + linear_params(4096, 1000)
    )
    # 224 -> (224 + 4 - 11)//4 + 1 = 55 -> pool 27 -> 27 -> pool 13 -> 13 -> 13 -> 13 -> pool 6
    macs = (
        conv_macs(3, 64, 11, 55)
        + conv_macs(64, 192, 5, 27)
        + conv_macs(192, 384, 3, 13)
        + conv_macs(384, 256, 3, 13)
        + conv_macs(256, 256, 3, 13)
        + 9216 * 4096
        + 4096 * 4096
        + 4096 * 1000
    )
    assert net.params == params == 61_100_840
    assert net.macs == macs
    assert net.rows[12].output == net.rows[13].output == (256, 6, 6)  # the adaptive pool is the identity here


def test_vgg16_by_formula():
    net = layers.follow_calls((3, 224, 224), VGG16)
    convs = [(3, 64, 224), (64, 64, 224), (64, 128, 112), (128, 128, 112), (128, 256, 56)]
    convs += [(256, 256, 56)] * 2 + [(256, 512, 28)] + [(512, 512, 28)] * 2 + [(512, 512, 14)] * 3
    params = sum(conv_params(a, b, 3) for a, b, _ in convs)
    params += linear_params(25088, 4096) + linear_params(4096, 4096) + linear_params(4096, 1000)
    macs = sum(conv_macs(a, b, 3, n) for a, b, n in convs) + 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert net.params == params == 138_357_544
    assert net.macs == macs == 15_470_264_320
    # the classic receptive field of VGG-16's last pool: 212 pixels
    pool5 = [row for row in net.rows if row.layer.kind == "MaxPool2d"][-1]
    assert pool5.field[0] == fields.AxisField(Fraction(212), Fraction(32), Fraction(31, 2))


def test_depthwise_separable_block_by_formula():
    net = layers.follow_calls((32, 112, 112), DEPTHWISE_SEPARABLE)
    depthwise = conv_params(32, 32, 3, groups=32, bias=False)
    pointwise = conv_params(32, 64, 1, bias=False)
    assert (depthwise, pointwise) == (288, 2048)
    assert net.params == depthwise + pointwise + 2 * 32 + 2 * 64
    assert net.macs == conv_macs(32, 32, 3, 112, groups=32) + conv_macs(32, 64, 1, 112)
    # MobileNet's reduction against a standard 3x3 convolution to 64 channels: 1/N + 1/k^2
    standard = conv_macs(32, 64, 3, 112)
    assert Fraction(net.macs, standard) == Fraction(1, 64) + Fraction(1, 9)


def test_dilated_stack_field():
    net = layers.follow_calls((1, 64, 64), DILATED)
    assert [row.field[0].size for row in net.rows] == [3, 7, 15, 31]
    assert all(row.output == (row.output[0], 64, 64) for row in net.rows)
    assert all(row.field[0].jump == 1 and row.field[0].start == 0 for row in net.rows)


def test_ng_quiz():
    dense = layers.follow_calls((3, 300, 300), ["Flatten()", "Linear(270000, 100)"])
    assert dense.params == 27_000_100 == 300 * 300 * 3 * 100 + 100
    filters = layers.follow_calls((3, 300, 300), ["Conv2d(3, 100, 5)"])
    assert filters.params == 7_600 == (5 * 5 * 3 + 1) * 100


def test_flat_input_for_a_perceptron():
    net = layers.follow_calls((784,), ["Linear(784, 100)", "Sigmoid()", "Linear(100, 10)", "Softmax(dim=1)"])
    assert net.params == 784 * 100 + 100 + 100 * 10 + 10
    assert net.describe()["layers"][0]["receptive_field"] is None


# --- one layer at a time ------------------------------------------------------------------------------


def one(shape, text):
    return layers.follow_calls(shape, [text]).rows[0]


@pytest.mark.parametrize(
    ("shape", "text", "output", "params", "macs"),
    [
        (
            (3, 32, 32),
            "Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1), padding=2, bias=False)",
            (6, 32, 32),
            450,
            6 * 32 * 32 * 75,
        ),
        ((3, 32, 32), "Conv2d(3, 6, 5, padding='same')", (6, 32, 32), 456, 6 * 32 * 32 * 75),
        ((3, 32, 32), "Conv2d(3, 6, 4, padding=same)", (6, 32, 32), 294, 6 * 32 * 32 * 48),
        ((3, 32, 32), "Conv2d(3, 6, 5, padding='valid')", (6, 28, 28), 456, 6 * 28 * 28 * 75),
        (
            (3, 32, 32),
            "Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2))",
            (6, 16, 28),
            276,
            6 * 16 * 28 * 45,
        ),
        ((3, 8, 8), "Conv2d(3, 3, 3, padding=1, padding_mode='reflect')", (3, 8, 8), 84, 3 * 64 * 27),
        ((4, 8, 8), "Conv2d(4, 8, 3, groups=2)", (8, 6, 6), 8 * 2 * 9 + 8, 8 * 36 * 2 * 9),
        (
            (4, 5, 5),
            "ConvTranspose2d(4, 6, 3, stride=2, groups=2)",
            (6, 11, 11),
            4 * 3 * 9 + 6,
            4 * 25 * 3 * 9,
        ),
        (
            (16, 7, 7),
            "ConvTranspose2d(16, 8, 4, stride=2, padding=1, output_padding=1, bias=False)",
            (8, 15, 15),
            16 * 8 * 16,
            16 * 49 * 8 * 16,
        ),
        (
            (2, 5, 5),
            "ConvTranspose2d(2, 2, 3, dilation=2, output_padding=1, stride=1)",
            (2, 10, 10),
            2 * 2 * 9 + 2,
            2 * 25 * 2 * 9,
        ),
        (
            (6, 28, 28),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
            (6, 14, 14),
            0,
            0,
        ),
        ((6, 5, 5), "MaxPool2d(2, ceil_mode=True)", (6, 3, 3), 0, 0),
        ((6, 5, 7), "MaxPool2d((2, 3), stride=(1, 2), padding=(1, 1))", (6, 6, 4), 0, 0),
        ((6, 9, 9), "MaxPool2d(3, stride=1, dilation=2)", (6, 5, 5), 0, 0),
        (
            (6, 5, 5),
            "AvgPool2d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
            (6, 3, 3),
            0,
            0,
        ),
        ((6, 13, 9), "AdaptiveAvgPool2d((None, 3))", (6, 13, 3), 0, 0),
        ((6, 13, 9), "AdaptiveMaxPool2d(output_size=1)", (6, 1, 1), 0, 0),
        ((6, 4, 4), "BatchNorm2d(6)", (6, 4, 4), 12, 0),
        (
            (6, 4, 4),
            "BatchNorm2d(6, eps=1e-05, momentum=None, affine=False, track_running_stats=True)",
            (6, 4, 4),
            0,
            0,
        ),
        ((6, 4, 4), "BatchNorm2d(6, affine=True, bias=False)", (6, 4, 4), 6, 0),
        ((6, 4, 5), "Flatten(start_dim=1, end_dim=-1)", (120,), 0, 0),
        ((6, 4, 5), "Flatten(2)", (6, 20), 0, 0),
        ((6, 4, 5), "Flatten(1, 2)", (24, 5), 0, 0),
        ((6, 4, 5), "Linear(5, 7)", (6, 4, 7), 42, 24 * 35),
        ((120,), "Linear(in_features=120, out_features=84, bias=False)", (84,), 120 * 84, 120 * 84),
        ((120,), "Dropout(p=0.2, inplace=False)", (120,), 0, 0),
        ((3, 4, 4), "Dropout2d(0.1)", (3, 4, 4), 0, 0),
        ((3, 4, 4), "Identity()", (3, 4, 4), 0, 0),
        ((3, 4, 4), "Identity(54, unused_argument1=0.1)", (3, 4, 4), 0, 0),
        ((3, 4, 4), "LeakyReLU(negative_slope=0.2, inplace=True)", (3, 4, 4), 0, 0),
        ((3, 4, 4), "GELU(approximate='tanh')", (3, 4, 4), 0, 0),
        ((3, 4, 4), "nn.SiLU()", (3, 4, 4), 0, 0),
        ((3, 4, 4), "torch.nn.Softmax(dim=1)", (3, 4, 4), 0, 0),
    ],
)
def test_one_layer(shape, text, output, params, macs):
    row = one(shape, text)
    assert (row.output, row.params, row.macs) == (output, params, macs)


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", "Conv2d(3, 64, 3, padding=1)"),
        (
            "Conv2d(3, 64, kernel_size=(1, 7), stride=(2, 2), padding=(0, 3), bias=False)",
            "Conv2d(3, 64, (1, 7), stride=2, padding=(0, 3), bias=False)",
        ),
        ("Conv2d(3, 3, 3, padding=valid)", "Conv2d(3, 3, 3)"),
        (
            "Conv2d(3, 3, 3, padding='same', padding_mode='circular')",
            "Conv2d(3, 3, 3, padding='same', padding_mode='circular')",
        ),
        ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", "MaxPool2d(2)"),
        (
            "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True)",
            "MaxPool2d(3, stride=2, padding=1, ceil_mode=True)",
        ),
        ("AvgPool2d(kernel_size=2, stride=2, padding=0)", "AvgPool2d(2)"),
        ("AdaptiveAvgPool2d(output_size=(7, 7))", "AdaptiveAvgPool2d(7)"),
        ("AdaptiveAvgPool2d(output_size=(None, 7))", "AdaptiveAvgPool2d((None, 7))"),
        (
            "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
            "BatchNorm2d(64)",
        ),
        (
            "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=True)",
            "BatchNorm2d(64, affine=False)",
        ),
        ("Linear(in_features=400, out_features=120, bias=True)", "Linear(400, 120)"),
        ("Dropout(p=0.5, inplace=False)", "Dropout()"),
        ("ReLU(inplace=True)", "ReLU()"),
        ("GELU(approximate='tanh')", "GELU(approximate='tanh')"),
        ("Flatten(start_dim=1, end_dim=-1)", "Flatten()"),
    ],
)
def test_short_form(text, short):
    shape = (400,) if "Linear" in text else (64, 28, 28) if "BatchNorm" in text else (3, 28, 28)
    assert one(shape, text).short == short


# --- receptive fields ---------------------------------------------------------------------------------


def test_conv_start_is_a_pixel_index():
    assert one((1, 32, 32), "Conv2d(1, 1, 5)").field[0] == fields.AxisField(5, 1, 2)
    assert one((1, 32, 32), "Conv2d(1, 1, 5, padding=2)").field[0] == fields.AxisField(5, 1, 0)
    assert one((1, 32, 32), "Conv2d(1, 1, 4, stride=2)").field[0] == fields.AxisField(4, 2, Fraction(3, 2))
    # 'same' with an even kernel pads 1 before and 2 after (torch): the first unit is centred at 0.5
    assert one((1, 32, 32), "Conv2d(1, 1, 4, padding='same')").field[0] == fields.AxisField(
        4, 1, Fraction(1, 2)
    )


def test_transposed_convolution_makes_the_jump_fractional():
    net = layers.follow_calls(
        (1, 16, 16), ["Conv2d(1, 1, 3, stride=2)", "ConvTranspose2d(1, 1, 3, stride=2)"]
    )
    before, after = net.rows[0].field[0], net.rows[1].field[0]
    assert before == fields.AxisField(3, 2, 1)
    # j = 2/2 = 1, r = 3 + 2*(3-1)*... with d(k-1) = 2 steps of the new jump 1, start = 1 + (0 - 1)*1
    assert after == fields.AxisField(5, 1, 0)
    alone = one((1, 4, 4), "ConvTranspose2d(1, 1, 2, stride=2)").field[0]
    assert alone == fields.AxisField(Fraction(3, 2), Fraction(1, 2), Fraction(-1, 4))
    assert fields.field_texts((alone, alone)) == ("1.5", "0.5", "-0.25")
    thirds = one((1, 4, 4), "ConvTranspose2d(1, 1, 3, stride=3)").field[0]
    assert fields.field_texts((thirds, thirds)) == ("5/3", "1/3", "-1/3")


def test_adaptive_pool_fields():
    net = layers.follow_calls((1, 14, 9), ["AdaptiveAvgPool2d((7, 9))"])
    height, width = net.rows[0].field
    assert height == fields.AxisField(2, 2, Fraction(1, 2))  # 14 -> 7 is a 2x2 pool, stride 2
    assert width == fields.AxisField(1, 1, 0)  # 9 -> 9 is the identity
    assert layers.follow_calls((1, 14, 9), ["AdaptiveAvgPool2d((5, 1))"]).rows[0].field == (None, None)
    assert fields.field_texts(
        layers.follow_calls((1, 14, 9), ["AdaptiveAvgPool2d((7, 1))"]).rows[0].field
    ) == (
        "2xall",
        "2,-",
        "0.5,-",
    )


def test_softmax_over_a_spatial_axis():
    assert one((3, 4, 4), "Softmax(dim=1)").field == (fields.AxisField(1, 1, 0),) * 2  # channels
    assert one((3, 4, 4), "Softmax(dim=-1)").field == (fields.AxisField(1, 1, 0), None)  # width


def test_rational_text():
    assert [
        fields.rational_text(Fraction(n, d)) for n, d in [(5, 2), (-1, 4), (1, 3), (7, 1), (1, 1024)]
    ] == [
        "2.5",
        "-0.25",
        "1/3",
        "7",
        "0.0009765625",
    ]
    assert fields.rational_text(Fraction(2 * 10**18 + 1, 2)) == "1000000000000000000.5"


# --- against torch ----------------------------------------------------------------------------------


def _torch():
    return pytest.importorskip("torch", reason="torch is not installed")


def torch_chain(torch, texts):
    """The same layers built by torch itself (these test strings are trusted Python)."""
    nn = torch.nn
    names = {name: getattr(nn, name) for name in dir(nn) if not name.startswith("_")}
    modules = []
    for text in texts:
        text = text.replace("nn.", "").replace("torch.", "")
        modules.append(eval(text, {"__builtins__": {}}, names))  # noqa: S307 - the test's own strings
    return nn.Sequential(*modules)


def torch_count(torch, texts, shape, device="meta"):
    """Parameters, each layer's output shape and the FLOPs of a forward pass, counted by torch
    (on the meta device, which computes shapes only, unless a layer needs real values)."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device(device):
        model = torch_chain(torch, texts)
        x = torch.zeros(1, *shape)
        outputs = []
        for module in model:
            module.register_forward_hook(lambda _m, _i, out: outputs.append(tuple(out.shape[1:])))
        with FlopCounterMode(display=False) as counter:
            model(x)
    return sum(p.numel() for p in model.parameters()), outputs, counter.get_total_flops(), model


@pytest.mark.parametrize(
    ("shape", "chain"),
    [
        ((3, 32, 32), LENET),
        ((3, 224, 224), ALEXNET),
        ((3, 224, 224), VGG16),
        ((32, 112, 112), DEPTHWISE_SEPARABLE),
        ((1, 64, 64), DILATED),
        (
            (16, 7, 7),
            ["ConvTranspose2d(16, 8, 4, stride=2, padding=1, output_padding=1, groups=2)", "BatchNorm2d(8)"],
        ),
        (
            (3, 33, 33),
            [
                "MaxPool2d(3, stride=2, padding=1, ceil_mode=True)",
                "AvgPool2d(3, 2, 1)",
                "Flatten(2)",
                "Linear(81, 5)",
            ],
        ),
    ],
    ids=["lenet", "alexnet", "vgg16", "depthwise-separable", "dilated", "transposed", "pools"],
)
def test_against_torch(shape, chain):
    torch = _torch()
    params, outputs, flops, model = torch_count(torch, chain, shape)
    net = layers.follow_calls(shape, chain)
    assert net.params == params
    assert [row.output for row in net.rows] == outputs
    assert net.flops == flops
    # the text torch prints for the same model gives the same rows
    pasted = layers.follow(shape, parse_model(str(model), "print(model)"))
    assert [(r.output, r.params, r.macs, r.field) for r in pasted.rows] == [
        (r.output, r.params, r.macs, r.field) for r in net.rows
    ]


def test_every_layer_torch_prints_reads_back():
    torch = _torch()
    chain = [
        "Conv2d(3, 6, 3, padding='same', padding_mode='reflect')",
        "Conv2d(6, 6, (3, 5), padding='valid', bias=False, groups=3, dilation=2)",
        "ConvTranspose2d(6, 8, 2, stride=2, output_padding=1, groups=2, dilation=3)",
        "MaxPool2d(3, 2, 1, ceil_mode=True)",
        "AvgPool2d(3, 1, 1)",
        "AdaptiveAvgPool2d((None, 7))",
        "AdaptiveMaxPool2d(5)",
        "BatchNorm2d(8)",
        "BatchNorm2d(8, affine=False, momentum=None)",
        "Dropout2d(0.2)",
        "Identity()",
        "ReLU(inplace=True)",
        "LeakyReLU(0.2, True)",
        "Sigmoid()",
        "Tanh()",
        "GELU()",
        "GELU('tanh')",
        "SiLU()",
        "Softmax(dim=1)",
        "ReLU6()",
        "Hardswish()",
        "ELU()",
        "Mish()",
        "Hardsigmoid()",
        "Flatten()",
        "Linear(200, 5)",
        "Linear(5, 5, bias=False)",
        "Dropout()",
    ]
    params, outputs, flops, model = torch_count(torch, chain, (3, 20, 20), device="cpu")
    net = layers.follow(shape := (3, 20, 20), parse_model(str(model), "print(model)"))
    assert (net.params, [r.output for r in net.rows], net.flops) == (params, outputs, flops)
    assert net.input == shape


_CONV = st.tuples(
    st.just("conv"),
    st.integers(1, 3),  # output channels per group
    st.integers(1, 4),  # kernel
    st.integers(1, 3),  # stride
    st.integers(0, 2),  # padding
    st.integers(1, 3),  # dilation
    st.sampled_from([1, 1, 2]),  # groups
    st.booleans(),  # bias
)
_POOL = st.tuples(
    st.sampled_from(["MaxPool2d", "AvgPool2d"]),
    st.integers(1, 3),  # kernel
    st.integers(1, 3),  # stride
    st.integers(0, 1),  # padding (at most half the kernel)
    st.booleans(),  # ceil_mode
)


def random_chain(specs, channels):
    chain = []
    for spec in specs:
        if spec[0] == "conv":
            _, per_group, k, s, p, d, groups, bias = spec
            groups = groups if channels % groups == 0 else 1
            out = per_group * groups
            chain.append(
                f"Conv2d({channels}, {out}, {k}, stride={s}, padding={p}, dilation={d}, groups={groups}, bias={bias})"
            )
            channels = out
        else:
            kind, k, s, p, ceil = spec
            chain.append(f"{kind}({k}, stride={s}, padding={min(p, k // 2)}, ceil_mode={ceil})")
    return chain


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_CONV, _POOL), min_size=1, max_size=4), st.integers(1, 24), st.integers(1, 24))
def test_random_chains_against_torch(specs, h, w):
    torch = _torch()
    chain = random_chain(specs, 2)
    try:
        params, outputs, flops, _ = torch_count(torch, chain, (2, h, w))
    except RuntimeError:
        with pytest.raises(ConvcliError):
            layers.follow_calls((2, h, w), chain)
        return
    net = layers.follow_calls((2, h, w), chain)
    assert (net.params, [r.output for r in net.rows], net.flops) == (params, outputs, flops)


# --- receptive fields measured with autograd ----------------------------------------------------------


def measured_span(torch, chain, shape, unit):
    """The input pixels whose gradient for output unit (0, y, x) is non-zero, per axis: with positive
    weights and inputs nothing cancels, so these are exactly the pixels the unit reads."""
    model = torch_chain(torch, chain).double()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    x = torch.ones(1, *shape, dtype=torch.float64, requires_grad=True)
    y = model(x)
    y[(0, 0, *unit)].backward()
    hit = x.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(hit.any(1)).flatten().tolist()
    cols = torch.nonzero(hit.any(0)).flatten().tolist()
    return rows, cols


def predicted_span(field, index):
    """[first, last] input pixel of unit ``index``'s field along one axis."""
    centre = field.start + index * field.jump
    half = (field.size - 1) / 2
    return centre - half, centre + half


def test_dilated_stack_field_by_autograd():
    torch = _torch()
    net = layers.follow_calls((1, 64, 64), DILATED)
    field = net.rows[-1].field[0]
    rows, cols = measured_span(torch, DILATED, (1, 64, 64), (30, 33))
    assert rows == list(range(30 - 15, 30 + 16))  # non-zero exactly on the field: 31 pixels, no gaps
    assert cols == list(range(33 - 15, 33 + 16))
    assert predicted_span(field, 30) == (15, 45)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Conv2d", "AvgPool2d"]),
            st.integers(1, 4),
            st.integers(1, 2),
            st.integers(0, 2),
            st.integers(1, 3),
        ),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
def test_receptive_field_spans_by_autograd(specs, data):
    torch = _torch()
    chain = []
    for kind, k, s, p, d in specs:
        if kind == "Conv2d":
            chain.append(f"Conv2d(1, 1, {k}, stride={s}, padding={p}, dilation={d})")
        else:
            chain.append(f"AvgPool2d({k}, stride={s}, padding={min(p, k // 2)})")
    n = 40
    try:
        net = layers.follow_calls((1, n, n), chain)
    except ShapeError:
        assume(False)
    field = net.rows[-1].field[0]
    out = net.rows[-1].output[1]
    inside = [
        u for u in range(out) if predicted_span(field, u)[0] >= 0 and predicted_span(field, u)[1] <= n - 1
    ]
    assume(inside)
    unit = data.draw(st.sampled_from(inside))
    rows, cols = measured_span(torch, chain, (1, n, n), (unit, inside[0]))
    assert (rows[0], rows[-1]) == predicted_span(field, unit)
    assert (cols[0], cols[-1]) == predicted_span(field, inside[0])


def test_transposed_field_bounds_what_a_unit_reads():
    torch = _torch()
    chain = ["Conv2d(1, 1, 3, stride=2)", "ConvTranspose2d(1, 1, 3, stride=2, padding=1)", "Conv2d(1, 1, 2)"]
    net = layers.follow_calls((1, 33, 33), chain)
    field = net.rows[-1].field[0]
    for unit in range(4, 20):
        rows, _ = measured_span(torch, chain, (1, 33, 33), (unit, 10))
        first, last = predicted_span(field, unit)
        assert first <= rows[0] and rows[-1] <= last


# --- print(model) ---------------------------------------------------------------------------------


def test_lenet_paste_is_what_torch_prints():
    torch = _torch()
    nn = torch.nn

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5),
                nn.Tanh(),
                nn.AvgPool2d(2),
                nn.Conv2d(6, 16, 5),
                nn.Tanh(),
                nn.AvgPool2d(2),
            )
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)
            )

    assert str(LeNet5()) + "\n" == (SAMPLES / "lenet.txt").read_text(encoding="utf-8")
    assert sum(p.numel() for p in LeNet5().parameters()) == 61_706


def test_lenet_paste():
    net = layers.follow((1, 32, 32), parse_model((SAMPLES / "lenet.txt").read_text(), "lenet.txt"))
    assert net.params == 61_706
    assert [row.path for row in net.rows[:3]] == ["features.0", "features.1", "features.2"]
    assert net.rows[6].text == "Flatten(start_dim=1, end_dim=-1)"
    assert net.notes == ()


def _resnet_small(torch):
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, c_in, c_out, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            if stride != 1 or c_in != c_out:
                self.downsample = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
                )

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (self.downsample(x) if hasattr(self, "downsample") else x))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.layer1 = nn.Sequential(BasicBlock(64, 64))
            self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.avgpool(self.layer2(self.layer1(x)))
            return self.fc(torch.flatten(x, 1))

    return ResNet()


def test_resnet_paste_with_a_downsample_branch():
    text = (FIXTURES / "resnet_small.txt").read_text(encoding="utf-8")
    net = layers.follow((3, 224, 224), parse_model(text, "resnet_small.txt"))
    branch = [row for row in net.rows if row.branch is not None]
    assert [(row.index, row.path, row.input, row.output) for row in branch] == [
        (15, "layer2.0.downsample.0", (64, 56, 56), (128, 28, 28)),
        (16, "layer2.0.downsample.1", (128, 28, 28), (128, 28, 28)),
    ]
    assert net.rows[16].input == (128, 28, 28)  # layer2.1 continues from the main path
    # the branch's field starts from the block's input: 1x1 stride 2 on what layer1 saw
    assert branch[0].field[0].size == net.rows[8].field[0].size
    params = conv_params(3, 64, 7, bias=False) + 2 * 64
    params += 2 * (conv_params(64, 64, 3, bias=False) + 2 * 64)
    params += conv_params(64, 128, 3, bias=False) + conv_params(128, 128, 3, bias=False) + 2 * 2 * 128
    params += conv_params(64, 128, 1, bias=False) + 2 * 128
    params += 2 * (conv_params(128, 128, 3, bias=False) + 2 * 128)
    params += linear_params(128, 10)
    assert net.params == params
    assert net.output == (10,)
    assert net.notes == (
        "layers 15-16 (layer2.0.downsample) are a branch: they read the block's input (64x56x56) and their "
        "output 128x28x28 is added to the main path's 128x28x28; a chain cannot model the addition, so the "
        "rows after them continue from the main path",
        "layer 23: Linear(128, 10) reads its 128x1x1 input flattened (128 values), as forward() does with "
        "torch.flatten; print(model) does not show that step",
    )


def test_resnet_paste_against_torch():
    torch = _torch()
    model = _resnet_small(torch)
    text = (FIXTURES / "resnet_small.txt").read_text(encoding="utf-8")
    assert str(model).replace(", bias=True, track", ", track") + "\n" == text
    net = layers.follow((3, 224, 224), parse_model(text, "resnet_small.txt"))
    assert net.params == sum(p.numel() for p in model.parameters())
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 224, 224))
    assert net.flops == counter.get_total_flops()


def test_a_paste_hides_avgpool_ceil_mode_and_the_note_says_so():
    text = "Net(\n  (pool): AvgPool2d(kernel_size=2, stride=2, padding=0)\n)"
    net = layers.follow((3, 5, 5), parse_model(text, "m.txt"))
    assert net.rows[0].output == (3, 2, 2)
    assert net.notes == (
        "layer 1: print(model) does not show AvgPool2d's ceil_mode; with the default, False, it gives "
        "3x2x2, with ceil_mode=True 3x3x3",
    )
    assert layers.follow((3, 4, 4), parse_model(text, "m.txt")).notes == ()  # the same either way
    assert layers.follow_calls((3, 5, 5), ["AvgPool2d(2)"]).notes == ()  # typed: what is written is meant


def test_a_shortcut_leaf_is_a_branch_of_its_block():
    text = """Block(
  (conv): Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
  (shortcut): Conv2d(4, 8, kernel_size=(1, 1), stride=(2, 2))
)
(head): Conv2d(8, 2, kernel_size=(1, 1), stride=(1, 1))"""
    net = layers.follow((4, 8, 8), parse_model(text, "block.txt"))
    assert [(r.input, r.output, r.branch) for r in net.rows] == [
        ((4, 8, 8), (8, 4, 4), None),
        ((4, 8, 8), (8, 4, 4), "shortcut"),
        ((8, 4, 4), (2, 4, 4), None),
    ]
    assert net.notes[0].startswith("layer 2 (shortcut) is a branch: it reads the block's input (4x8x8)")


def test_a_branch_that_does_not_fit_says_so():
    text = """Block(
  (conv): Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1))
  (downsample): Conv2d(4, 8, kernel_size=(1, 1), stride=(2, 2))
)"""
    net = layers.follow((4, 8, 8), parse_model(text, "block.txt"))
    assert "its output 8x4x4 cannot be added to the main path's 8x6x6" in net.notes[0]


# --- errors ---------------------------------------------------------------------------------------------


def message(exc_info):
    return exc_info.value.message


def test_linear_mismatch_names_position_text_and_both_numbers():
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 28, 28), LENET)  # 28 -> 24 -> 12 -> 8 -> 4: 16x4x4 = 256 values
    assert (
        message(info) == "layer 6: Linear(400, 120) expects 400 inputs; the previous layer gives 16x4x4 = 256"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 28, 28), [*LENET[:5], "Dropout()", "Linear(400, 120)"])
    assert (
        message(info) == "layer 7: Linear(400, 120) expects 400 inputs; the previous layer gives 16x4x4 = 256"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 32, 32), [*LENET[:4], "Linear(300, 120)"])
    assert message(info) == "layer 5: Linear(300, 120) expects 300 inputs; the previous layer gives 16x5x5"
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((30,), ["Linear(400, 120)"])
    assert message(info) == "layer 1: Linear(400, 120) expects 400 inputs; the input gives 30"


def test_linear_without_flatten_reads_the_values_flattened_and_says_so():
    net = layers.follow_calls((3, 32, 32), [*LENET[:4], "Linear(400, 120)"])
    assert net.rows[-1].output == (120,)
    assert net.rows[-1].macs == 400 * 120
    assert net.notes == (
        "layer 5: Linear(400, 120) reads its 16x5x5 input flattened (400 values), as forward() does with "
        "torch.flatten; print(model) does not show that step",
    )


def test_channel_mismatch():
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 32, 32), ["Conv2d(3, 6, 5)", "Conv2d(8, 16, 5)"])
    assert message(info) == (
        "layer 2: Conv2d(8, 16, 5) expects 8 input channels; the previous layer gives 6x28x28 (6 channels)"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((1, 32, 32), ["BatchNorm2d(3)"])
    assert (
        message(info)
        == "layer 1: BatchNorm2d(3) expects 3 channels (num_features); the input gives 1x32x32 (1 channel)"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 32, 32), ["Flatten()", "Conv2d(3, 6, 5)"])
    assert message(info) == (
        "layer 2: Conv2d(3, 6, 5) expects a C x H x W input (channels and two spatial axes); the previous "
        "layer gives 3x32x32 = 3072"
    )


def test_output_size_below_one():
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 8, 8), ["Conv2d(3, 6, 5)", "MaxPool2d(2)", "MaxPool2d(2)", "MaxPool2d(2)"])
    assert message(info) == (
        "layer 4: MaxPool2d(2) leaves no output along the height: o = floor((1 + 2*0 - 2 - (2-1)*(1-1)) / 2) "
        "+ 1 = 0: the window (extent 2) is larger than the padded input (1); the output size must be at least 1"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 8, 8), ["Conv2d(3, 6, (1, 9))"])
    assert message(info).startswith(
        "layer 1: Conv2d(3, 6, (1, 9)) leaves no output along the width: o = floor((8 + 2*0 - 9 - (9-1)*(1-1)) "
        "/ 1) + 1 = 0"
    )
    with pytest.raises(ShapeError) as info:
        layers.follow_calls((3, 1, 1), ["ConvTranspose2d(3, 3, 1, padding=1)"])
    assert message(info) == (
        "layer 1: ConvTranspose2d(3, 3, 1, padding=1) leaves no output along the height: o = 1*(1-1) + 0 + "
        "1*(1-1) + 1 - 2*1 = -1: the padding crops more than the transposed convolution produces; the output "
        "size must be at least 1"
    )


def test_refusals_as_torch_makes_them():
    cases = {
        "Conv2d(3, 6, 5, stride=2, padding='same')": "padding='same' is not supported with a stride above 1",
        "Conv2d(3, 5, 3, groups=2)": "in_channels (3) must be divisible by groups (2)",
        "ConvTranspose2d(4, 4, 3, stride=2, output_padding=2)": "output_padding (2) must be smaller than the stride",
        "MaxPool2d(2, padding=2)": "pooling padding 2 is more than half the window size 2; torch allows at most 1",
        "Conv2d(3, 6, 5, padding='full')": "padding takes 'same' or 'valid', found 'full'",
        "Dropout(p=2)": "p takes a probability between 0 and 1, found 2",
        "Conv2d(3, 6)": "Conv2d needs kernel_size",
        "Conv2d(3, 6, 5, kernal_size=5)": "has no argument kernal_size (did you mean kernel_size?)",
        "Linear(4, 5, True, None, None, 7)": "Linear takes at most 5 positional arguments",
        "Flatten(0)": "also flattens the batch axis",
        "Softmax(dim=4)": "dim=4 is out of range for 4 dims",
        "Conv2d(3, 6, 5, padding_mode='mirror')": "padding_mode takes 'zeros' or 'reflect' or 'replicate' or 'circular'",
        "Conv2d(3, 3, 3, padding=40, padding_mode='reflect')": "pads 40 by reflect, which must be less than the input size",
    }
    for text, expected in cases.items():
        with pytest.raises(ConvcliError) as info:
            layers.follow_calls((3, 32, 32), [text])
        assert expected in message(info), (text, message(info))


def test_argument_errors_point_at_the_argument():
    with pytest.raises(ParseError) as info:
        layers.follow_calls((3, 32, 32), ["Conv2d(3, 6, 5)", "Conv2d(6, 16, 5, stride=0)"])
    assert info.value.lines() == [
        "layer 2, column 18: Conv2d: stride takes a whole number >= 1 or a pair of them, such as (3, 3), found 0",
        "     | Conv2d(6, 16, 5, stride=0)",
        "     |                  ^",
    ]


def test_unknown_layer_lists_the_known_ones():
    with pytest.raises(ParseError) as info:
        layers.follow_calls((3, 32, 32), ["conv2d(3, 6, 5)"])
    assert message(info) == (
        "layer 1, column 1: unknown layer conv2d; did you mean Conv2d? known layers: "
        + ", ".join(torch_layers.known_layers())
    )
    assert "Conv2d" in torch_layers.known_layers() and "Softmax" in torch_layers.known_layers()


def test_layer_errors_in_a_paste_name_the_line():
    text = "Net(\n  (a): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))\n  (b): Linear(in_features=10, out_features=2, bias=True)\n)"
    with pytest.raises(ShapeError) as info:
        layers.follow((3, 32, 32), parse_model(text, "m.txt"))
    assert message(info) == (
        "m.txt:3: layer 2: Linear(in_features=10, out_features=2, bias=True) expects 10 inputs; the previous "
        "layer gives 6x28x28"
    )
    with pytest.raises(ParseError) as parse_info:
        layers.follow((3, 32, 32), parse_model(text.replace("stride=(1, 1)", "stride=(0, 1)"), "m.txt"))
    assert message(parse_info) == (
        "m.txt:2:41: Conv2d: stride takes a whole number >= 1 or a pair of them, such as (3, 3), found (0, 1)"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((3, 32, 32), (3, 32, 32)),
        ((784,), (784,)),
    ],
)
def test_input_shape(values, expected):
    assert layers.input_shape(values) == expected


def test_input_shape_refusals():
    with pytest.raises(UsageError) as info:
        layers.input_shape((28, 28))
    assert message(info) == (
        "--input takes C x H x W (such as 3x32x32, or 1x28x28 for one channel), or N for a flat vector of N "
        "features; got 28x28"
    )
    with pytest.raises(UsageError, match="without the batch axis"):
        layers.input_shape((1, 3, 32, 32))


def test_explain_out_of_range():
    net = layers.follow_calls((3, 32, 32), LENET)
    with pytest.raises(UsageError) as info:
        layers.explain(net, 10)
    assert message(info) == "--at takes a layer number from 1 to 9, got 10"


# --- explanations -----------------------------------------------------------------------------------


def test_explain_a_convolution():
    net = layers.follow_calls((3, 32, 32), LENET)
    explanation = layers.explain(net, 3)
    assert explanation.title == "layer 3: Conv2d(6, 16, 5) · input 6x14x14 -> output 16x10x10"
    assert explanation.lines == (
        ("channels", "C_out = out_channels = 16"),
        ("size", "o = floor((14 + 2*0 - 5 - (5-1)*(1-1)) / 1) + 1 = 10 (height and width)"),
        ("params", "(C_in/groups · kh · kw + 1) · C_out = (6/1 · 5 · 5 + 1) · 16 = 2,416"),
        ("MACs", "output elements · C_in/groups · kh · kw = 16·10·10 · 6/1·5·5 = 1,600 · 150 = 240,000"),
        ("field", "r = r + d(k−1)·j = 6 + 1·(5−1)·2 = 14 (height and width)"),
        ("jump", "j = j·s = 2·1 = 2 (height and width)"),
        ("start", "start = start + (d(k−1)/2 − p)·j = 2.5 + (1·(5−1)/2 − 0)·2 = 6.5 (height and width)"),
    )


def test_explain_per_axis_and_others():
    net = layers.follow_calls(
        (4, 9, 12),
        [
            "Conv2d(4, 8, (3, 5), stride=(1, 2), groups=2, bias=False)",  # 8x7x4
            "MaxPool2d(2, ceil_mode=True)",  # 8x4x2
            "BatchNorm2d(8)",
            "Flatten()",  # 64
            "Linear(64, 10)",
            "ReLU()",
        ],
    )
    conv = dict(layers.explain(net, 1).lines)
    assert conv["size (height)"] == "o = floor((9 + 2*0 - 3 - (3-1)*(1-1)) / 1) + 1 = 7"
    assert conv["size (width)"] == "o = floor((12 + 2*0 - 5 - (5-1)*(1-1)) / 2) + 1 = 4"
    assert conv["params"] == "(C_in/groups · kh · kw) · C_out = (4/2 · 3 · 5) · 8 = 240"
    assert conv["field (width)"] == "r = r + d(k−1)·j = 1 + 1·(5−1)·1 = 5"
    assert conv["jump (width)"] == "j = j·s = 1·2 = 2"
    pool = dict(layers.explain(net, 2).lines)
    assert pool["size (height)"] == "o = ceil((7 + 2*0 - 2 - (2-1)*(1-1)) / 2) + 1 = 4"
    assert pool["size (width)"] == "o = ceil((4 + 2*0 - 2 - (2-1)*(1-1)) / 2) + 1 = 2"
    assert pool["MACs"] == "0 (pooling is not counted)"
    assert dict(layers.explain(net, 3).lines)["params"] == (
        "2 · C = 2 · 8 = 16 (a weight and a bias per channel); the running mean and variance are buffers, "
        "not parameters"
    )
    flatten = dict(layers.explain(net, 4).lines)
    assert flatten["output"] == "8·4·2 = 64 values in one axis: 8x4x2 -> 64"
    assert flatten["field"] == (
        "the whole input (Flatten: what follows reads all positions as one vector); jump and start do not apply"
    )
    linear = dict(layers.explain(net, 5).lines)
    assert linear["params"] == "(in + 1) · out = (64 + 1) · 10 = 650"
    assert linear["MACs"] == "in · out = 64 · 10 = 640"
    assert linear["field"] == "the whole input (as before); jump and start do not apply"
    assert dict(layers.explain(net, 6).lines) == {
        "output": "the input's shape, 10 (elementwise)",
        "params": "0",
        "MACs": "0 (activations, dropout and the identity are not counted)",
        "field": "the whole input (as before); jump and start do not apply",
    }


def test_explain_transposed_and_adaptive():
    net = layers.follow_calls((2, 4, 4), ["ConvTranspose2d(2, 4, 2, stride=2)", "AdaptiveAvgPool2d(4)"])
    up = dict(layers.explain(net, 1).lines)
    assert up["size"] == "o = 2*(4-1) + 0 + 1*(2-1) + 1 - 2*0 = 8 (height and width)"
    assert up["params"] == "C_in · C_out/groups · kh · kw + C_out = 2 · 4/1 · 2 · 2 + 4 = 36"
    assert up["MACs"] == "input elements · C_out/groups · kh · kw = 2·4·4 · 4/1·2·2 = 512"
    assert up["jump"] == "j = j/s = 1/2 = 0.5 (height and width)"
    assert (
        up["start"]
        == "start = start + (p − d(k−1)/2)·j/s = 0 + (0 − 1·(2−1)/2)·1/2 = -0.25 (height and width)"
    )
    pool = dict(layers.explain(net, 2).lines)
    assert pool["size"] == "o = 4: 8/4 = 2, a pool with kernel = stride = 2 (height and width)"
    assert pool["field"] == "r = r + d(k−1)·j = 1.5 + 1·(2−1)·0.5 = 2 (height and width)"


# --- fuzzing the print(model) reader ---------------------------------------------------------------

SOURCES = [
    (SAMPLES / "lenet.txt").read_text(encoding="utf-8"),
    (FIXTURES / "resnet_small.txt").read_text(encoding="utf-8"),
]
JUNK = st.sampled_from(
    list("()[],=:'\"x-0123456789 \n\tabcXYZ.\\\x00é€") + ["None", "True", "Conv2d(", "(0-2): 3 x ", ")\n"]
)


@st.composite
def mangled(draw):
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "cut", "duplicate"]))
        if action == "delete":
            text = text[:where] + text[where + draw(st.integers(1, 20)) :]
        elif action == "insert":
            text = text[:where] + draw(JUNK) + text[where:]
        elif action == "replace":
            text = text[:where] + draw(JUNK) + text[where + 1 :]
        elif action == "cut":
            text = text[:where]
        else:
            text = text[:where] + text[where : where + draw(st.integers(1, 80))] + text[where:]
    return text


@settings(max_examples=200, deadline=None)
@given(mangled(), st.sampled_from([(1, 32, 32), (3, 224, 224), (3, 64, 64), (400,)]))
def test_mangled_pastes_give_errors_not_tracebacks(text, shape):
    try:
        net = layers.follow(shape, parse_model(text, "model.txt"))
    except ConvcliError as exc:
        assert exc.lines()[0]
        return
    assert net.params >= 0 and len(net.rows) >= 1
    layers.explain(net, len(net.rows))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_an_error_or_layers(text):
    try:
        layers.follow((3, 32, 32), parse_model(text, "model.txt"))
    except ConvcliError:
        pass


def test_large_numbers_stay_exact():
    n = 10**17
    net = layers.follow_calls((n, 3, 3), [f"Conv2d({n}, {n}, 3)", "Flatten()", f"Linear({n}, 2)"])
    assert net.params == n * n * 9 + n + 2 * n + 2
    assert net.describe()["macs"] == n * n * 9 + 2 * n
    assert net.flops == 2 * (n * n * 9 + 2 * n)
    assert layers.follow_calls((3, n, n), ["Conv2d(3, 1, 1)"]).rows[0].output == (1, n, n)


def test_docstring_examples():
    import doctest

    from convcli import modeltext, shapes

    results = {module.__name__: doctest.testmod(module) for module in (layers, modeltext, shapes)}
    assert all(result.failed == 0 for result in results.values())
    assert results["convcli.layers"].attempted >= 3 and results["convcli.shapes"].attempted >= 5
