"""Named kernels: exact values, the gaussian computed independently, bad parameters, the catalogue."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from convcli import ops
from convcli.errors import UsageError
from convcli.kernels import MAX_SIZE, catalogue, named_kernel

FIXED = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "sobel-x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel-y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "prewitt-x": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "prewitt-y": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "scharr-x": [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]],
    "scharr-y": [[-3, -10, -3], [0, 0, 0], [3, 10, 3]],
    "laplace": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_kernels(name):
    k = named_kernel(name)
    assert k.tolist() == FIXED[name]
    assert k.dtype == np.int64


@pytest.mark.parametrize(
    ("x", "y"), [("sobel-x", "sobel-y"), ("prewitt-x", "prewitt-y"), ("scharr-x", "scharr-y")]
)
def test_y_is_the_transpose_of_x(x, y):
    assert named_kernel(y).tolist() == named_kernel(x).T.tolist()


def test_names_are_case_insensitive():
    assert named_kernel("Sobel-X").tolist() == FIXED["sobel-x"]
    assert named_kernel(" LAPLACE ").tolist() == FIXED["laplace"]
    assert named_kernel("BOX:2").tolist() == [[Fraction(1, 4)] * 2] * 2


def test_box_is_exact():
    k = named_kernel("box:3")
    assert k.shape == (3, 3)
    assert all(type(v) is Fraction and v == Fraction(1, 9) for v in k.flat)
    assert named_kernel("box").tolist() == k.tolist()
    assert sum(named_kernel("box:4").flat) == 1


def test_box_blurs_exactly():
    image = np.arange(9).reshape(3, 3)
    assert ops.correlate(image, named_kernel("box")).value.tolist() == [[Fraction(4)]]
    assert ops.correlate(np.array([[1, 2], [3, 5]]), named_kernel("box:2")).value.tolist() == [
        [Fraction(11, 4)]
    ]


def _gaussian(n, sigma):
    offsets = [u - (n - 1) / 2 for u in range(n)]
    w = [[math.exp(-(x * x + y * y) / (2 * sigma * sigma)) for y in offsets] for x in offsets]
    total = sum(map(sum, w))
    return [[v / total for v in row] for row in w]


def test_gaussian_3_1():
    k = named_kernel("gaussian:3:1.0")
    assert k.dtype == np.float64
    np.testing.assert_allclose(k, _gaussian(3, 1.0), rtol=1e-14, atol=0)
    # the textbook values, to 4 places
    np.testing.assert_allclose(
        k, [[0.0751, 0.1238, 0.0751], [0.1238, 0.2042, 0.1238], [0.0751, 0.1238, 0.0751]], atol=5e-5
    )


@pytest.mark.parametrize(
    ("text", "n", "sigma"),
    [
        ("gaussian", 5, 1.0),
        ("gaussian:5", 5, 1.0),
        ("gaussian:4:0.7", 4, 0.7),
        ("gaussian:6:2.5", 6, 2.5),
        ("gaussian:1:3", 1, 3.0),
    ],
)
def test_gaussian_defaults_and_even_sizes(text, n, sigma):
    k = named_kernel(text)
    assert k.shape == (n, n)
    np.testing.assert_allclose(k, _gaussian(n, sigma), rtol=1e-13, atol=0)
    assert math.isclose(k.sum(), 1.0, rel_tol=1e-12)
    # centred: symmetric under every flip and the transpose
    np.testing.assert_array_equal(k, k[::-1, :])
    np.testing.assert_array_equal(k, k[:, ::-1])
    np.testing.assert_array_equal(k, k.T)


def test_gaussian_tiny_sigma_keeps_its_sum():
    k = named_kernel("gaussian:4:1e-5")
    # even size: the four middle cells share the weight, nothing underflows to nan
    assert k.tolist() == [[0.0] * 4, [0.0, 0.25, 0.25, 0.0], [0.0, 0.25, 0.25, 0.0], [0.0] * 4]
    assert named_kernel("gaussian:3:1e-300").tolist() == [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


GAUSSIAN_FORM = "gaussian, gaussian:SIZE or gaussian:SIZE:SIGMA (e.g. gaussian:5:1.0)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "box:0",
            'named kernel "box:0": the size must be a whole number from 1 to 1001, got "0"; '
            "expected box or box:N (e.g. box:3)",
        ),
        (
            "box:x",
            'named kernel "box:x": the size must be a whole number from 1 to 1001, got "x"; '
            "expected box or box:N (e.g. box:3)",
        ),
        (
            "box:100000",
            'named kernel "box:100000": the size must be a whole number from 1 to 1001, '
            'got "100000"; expected box or box:N (e.g. box:3)',
        ),
        (
            "box:",
            'named kernel "box:": the size must be a whole number from 1 to 1001, got ""; '
            "expected box or box:N (e.g. box:3)",
        ),
        ("box:3:3", 'named kernel "box:3:3": too many parameters; expected box or box:N (e.g. box:3)'),
        (
            "gaussian:5:-1",
            f'named kernel "gaussian:5:-1": SIGMA must be a number greater than 0, got "-1"; '
            f"expected {GAUSSIAN_FORM}",
        ),
        (
            "gaussian:5:0",
            f'named kernel "gaussian:5:0": SIGMA must be a number greater than 0, got "0"; '
            f"expected {GAUSSIAN_FORM}",
        ),
        (
            "gaussian:5:nan",
            f'named kernel "gaussian:5:nan": SIGMA must be a number greater than 0, got "nan"; '
            f"expected {GAUSSIAN_FORM}",
        ),
        (
            "gaussian:5:1e999",
            f'named kernel "gaussian:5:1e999": SIGMA must be a number greater than 0, '
            f'got "1e999"; expected {GAUSSIAN_FORM}',
        ),
        (
            "gaussian:2.5",
            f'named kernel "gaussian:2.5": the size must be a whole number from 1 to 1001, '
            f'got "2.5"; expected {GAUSSIAN_FORM}',
        ),
        ("gaussian:5:1:1", f'named kernel "gaussian:5:1:1": too many parameters; expected {GAUSSIAN_FORM}'),
        ("sobel-x:3", 'named kernel "sobel-x:3": sobel-x takes no parameters; expected sobel-x'),
    ],
)
def test_bad_parameters(text, message):
    with pytest.raises(UsageError) as info:
        named_kernel(text)
    assert info.value.message == message


def test_size_cap():
    assert MAX_SIZE == 1001
    assert named_kernel("box:1001").shape == (1001, 1001)
    with pytest.raises(UsageError, match="from 1 to 1001"):
        named_kernel("gaussian:1002")
    with pytest.raises(UsageError, match="from 1 to 1001"):
        named_kernel("box:" + "9" * 5000)


@pytest.mark.parametrize(
    "text", ["1 2; 3 4", "[[1]]", "sobel", "gauss", "samples/A.txt", "", "boxes:3", "x:3"]
)
def test_unknown_names_are_not_kernels(text):
    assert named_kernel(text) is None


def test_catalogue_lists_every_name():
    entries = catalogue()
    names = [e.name for e in entries]
    assert names == ["identity", "box", "gaussian", *[n for n in FIXED if n != "identity"]]
    usage = {e.name: e.usage for e in entries}
    assert usage["box"] == "box:N" and usage["gaussian"] == "gaussian:SIZE:SIGMA"
    assert usage["sobel-x"] == "sobel-x"
    for e in entries:
        assert named_kernel(e.name) is not None
        np.testing.assert_array_equal(e.matrix, named_kernel(e.name))
        assert e.description and "\n" not in e.description


def test_catalogue_descriptions_and_symmetry():
    entries = {e.name: e for e in catalogue()}
    assert entries["sobel-x"].description.startswith(
        "responds to left-to-right increases in brightness (vertical edges)"
    )
    assert "horizontal edges" in entries["sobel-y"].description
    symmetric = {name for name, e in entries.items() if e.symmetric}
    assert symmetric == {"identity", "box", "gaussian", "laplace", "sharpen"}


def test_sobel_x_sign_under_correlate_and_convolve():
    """The description's promise: brightness rising left to right is positive under correlate."""
    ramp = np.array([[0, 0, 9, 9]] * 3)
    sobel = named_kernel("sobel-x")
    assert ops.correlate(ramp, sobel).value.tolist() == [[36, 36]]
    assert ops.convolve(ramp, sobel).value.tolist() == [[-36, -36]]
