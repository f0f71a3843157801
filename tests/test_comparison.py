"""compare's explanation: the facts of SPEC §1, computed for the inputs given."""

from __future__ import annotations

import numpy as np

from convcli import comparison
from convcli.model import Op, OpOptions

from .conftest import B2, SEED_A, SEED_B, WINDOW


def facts(a, b, options=None):
    return {fact.topic: fact.text for fact in comparison.compare(a, b, options).facts}


def test_symmetric_kernel_means_no_difference():
    assert facts(SEED_A, SEED_B)["flip"] == (
        "B equals B turned 180°, so convolve and correlate give the same result: the flip makes no "
        "difference for a symmetric kernel."
    )


def test_asymmetric_kernel_shows_the_turned_kernel():
    assert facts(WINDOW, B2)["flip"] == (
        "B is not symmetric under a 180° turn: convolve slides B turned 180° ([[1, 0, 1], [0, 1, 0], "
        "[0, 0, 1]]) over A, correlate slides B as it is, so their results differ: convolve gives [[4]], "
        "correlate (the lecture slide's sum of products) gives [[3]]. They agree only for a symmetric kernel."
    )


def test_elementwise_sum_is_the_one_window():
    assert facts(WINDOW, B2)["window"] == (
        "elementwise-sum multiplies A and B entry by entry and adds the products: 3. A and B have the "
        "same shape, so correlate (valid) has exactly one window, the whole of A, and gives [3] too."
    )
    assert facts(SEED_A, SEED_B)["window"] == (
        "elementwise-sum needs A and B of one shape; it is what correlate computes at every window: "
        "sum(A[0:3, 0:3] * B) = 4 = correlate[0, 0], and so on for each position."
    )


def test_dot_is_a_matrix_product():
    assert facts(WINDOW, SEED_B)["dot"] == (
        "np.dot of two matrices is a matrix product: entry [0, 0] is row 0 of A times column 0 of B (2), "
        "so the result is 3x3, not one sum over matching entries."
    )


def test_the_seed_results():
    cmp = comparison.compare(WINDOW, SEED_B)
    assert cmp.results[Op.CONVOLVE].value.tolist() == [[4]]
    assert cmp.results[Op.CORRELATE].value.tolist() == [[4]]
    assert cmp.results[Op.ELEMENTWISE_SUM].value[()] == 4
    assert cmp.results[Op.DOT].value.tolist() == [[2, 1, 2], [1, 1, 1], [1, 0, 1]]
    cmp = comparison.compare(WINDOW, B2)
    assert (cmp.results[Op.CONVOLVE].value.tolist(), cmp.results[Op.CORRELATE].value.tolist()) == ([[4]], [[3]])


def test_depth_is_a_dot_product_and_one_by_one_is_all_dot():
    a = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    b = np.array([[[1]], [[2]]])
    assert facts(a, b, OpOptions(channels=True))["depth"] == (
        "Over depth a CNN layer takes a dot product: with --channels, channel c of A meets channel c of B "
        "and the 2 per-channel sums are added; at [0, 0] that is 1 + 10 = 11. B is 1x1, so the whole layer "
        "is a dot product over depth at every pixel: C[0, 0] = [1, 5] · [1, 2] = 11."
    )


def test_two_d_inputs_name_what_a_layer_computes():
    assert facts(SEED_A, SEED_B)["layer"].startswith("A CNN layer computes correlate (no flip")


def test_the_textbooks_dot_product_is_the_flattened_inner_product():
    text = facts(WINDOW, B2)["flatten"]
    assert "np.dot(A[0:3, 0:3].ravel(), B.ravel()) = 3, the element-wise sum again" in text
    assert "convcli im2col" in text and "fully connected layer" in text


def test_vectors_of_different_lengths():
    assert facts(np.array([1, 2, 3, 4]), np.array([1, 2]))["dot"] == (
        "dot of two vectors is their inner product, which needs equal lengths: A has 4 entries and B has 2."
    )


def test_channel_mismatch_flips_only_spatial_axes():
    a = np.ones((3, 4, 4), dtype=np.int64)
    b = np.array([[[[1]]], [[[2]]]])
    assert facts(a, b, OpOptions(channels=True))["flip"].startswith("B equals B turned 180°")
