"""compare's explanation: the facts README's "compare" lists, computed for the inputs given."""

from __future__ import annotations

import numpy as np

from convcli import comparison
from convcli.model import Mode, Op, OpOptions

from .conftest import B2, SEED_A, SEED_B, WINDOW


def facts(a, b, options=None):
    return {fact.topic: fact.text for fact in comparison.compare(a, b, options).facts}


def test_the_seed_example_opens_with_why_two_agree_and_two_are_undefined():
    cmp = comparison.compare(SEED_A, SEED_B)
    assert cmp.answer == (
        "convolve and correlate agree because B is symmetric: turned 180°, it is the same kernel. "
        "elementwise-sum and dot are undefined here: elementwise-sum needs A and B of one shape (correlate "
        "takes that sum at each 3x3 window), and dot needs rows of A as long as columns of B (5 and 3)."
    )
    # what the symmetric kernel hides, and the command that shows it
    assert cmp.try_next == (
        "An asymmetric kernel (as a trained CNN layer's are) would make them differ:",
        "convcli compare samples/window.txt samples/B2.txt",
    )


def test_a_layer_gets_no_suggestion_of_a_two_dimensional_example():
    x = np.arange(18).reshape(2, 3, 3)
    ones = np.ones((2, 2, 1, 1), dtype=int)  # 1x1 filters: turned, always the same
    layer = comparison.compare(x, ones, OpOptions(channels=True))
    assert layer.answer.startswith("convolve and correlate agree because B is symmetric")
    assert layer.try_next is None


def test_the_suggested_command_shows_convolve_and_correlate_apart(samples):
    from convcli.parsing import read_matrix

    window, b2 = (read_matrix(str(samples / name)) for name in ("window.txt", "B2.txt"))
    assert comparison.ASYMMETRIC_EXAMPLE[1] == "convcli compare samples/window.txt samples/B2.txt"
    cmp = comparison.compare(window, b2)
    assert cmp.results[Op.CONVOLVE].value.tolist() != cmp.results[Op.CORRELATE].value.tolist()
    assert cmp.try_next is None
    assert cmp.answer == (
        "convolve and correlate differ because B changes when turned 180°: convolve turns it before sliding it, "
        "correlate (what CNN layers compute) slides it as it is. elementwise-sum gives 3, the sum of the "
        "products of matching entries; dot is a matrix product (rows times columns), a 3x3 matrix here, not "
        "a sum over matching entries."
    )


def test_answers_for_other_shapes():
    # one of elementwise-sum and dot defined, vectors, and an asymmetric kernel that happens to agree
    assert comparison.compare(np.ones((3, 3), dtype=int), np.ones((3, 2), dtype=int)).answer.endswith(
        "elementwise-sum is undefined: it needs A and B of one shape (correlate takes that sum at each 3x2 "
        "window); dot is a matrix product (rows times columns), a 3x2 matrix here, not a sum over matching "
        "entries."
    )
    assert comparison.compare(np.ones((2, 3), dtype=int), np.ones((2, 3), dtype=int)).answer.endswith(
        "elementwise-sum gives 6, the sum of the products of matching entries; dot needs rows of A as long "
        "as columns of B (3 and 2)."
    )
    assert comparison.compare(np.array([1, 2, 3, 4]), np.array([1, 2])).answer.endswith(
        "elementwise-sum and dot are undefined here: elementwise-sum needs A and B of one shape (correlate "
        "takes that sum at each length-2 window), and dot needs vectors of one length (4 and 2)."
    )
    assert comparison.compare(np.array([1, 2, 3]), np.array([4, 5, 6])).answer.endswith(
        "elementwise-sum gives 32, the sum of the products of matching entries; dot of two vectors is their "
        "inner product, that same sum."
    )
    agree = comparison.compare(np.zeros((3, 3), dtype=int), np.array([[1, 2], [3, 4]]))
    assert agree.answer.startswith(
        "convolve and correlate agree for these inputs, although B changes when turned 180°: convolve turns it "
        "before sliding it, correlate does not."
    )
    assert agree.try_next is None


def test_symmetric_kernel_means_no_difference():
    assert facts(SEED_A, SEED_B)["flip"] == "B turned 180° is B itself, so convolve(A, B) = correlate(A, B)."


def test_asymmetric_kernel_shows_the_turned_kernel():
    assert facts(WINDOW, B2)["flip"] == (
        "B turned 180° is [[1, 0, 1], [0, 1, 0], [0, 0, 1]]: convolve(A, B) = correlate(A, B turned 180°)."
    )


def test_a_kernel_of_filters_is_described_not_dumped():
    # O x C x kh x kw: no 4-D nested list in a bullet
    a = np.arange(2 * 4 * 4).reshape(2, 4, 4)
    b = np.arange(3 * 2 * 2 * 2).reshape(3, 2, 2, 2)
    cmp = comparison.compare(a, b, OpOptions(channels=True))
    assert {f.topic: f.text for f in cmp.facts}["flip"] == (
        "convolve turns each channel's kernel on its last two axes 180° and then slides it as correlate "
        "does: convolve(A, B) = correlate(A, B turned 180°)."
    )
    assert not any("[[[" in f.text for f in cmp.facts) and "[[[" not in cmp.answer


def test_elementwise_sum_is_the_one_window():
    assert facts(WINDOW, B2)["window"] == "sum(A * B) = 3 = correlate[0, 0]: one shape, one window."
    assert facts(SEED_A, SEED_B)["window"] == (
        "correlate[0, 0] = sum(A[0:3, 0:3] * B) = 4: the elementwise-sum of the first window, and so on at "
        "each position."
    )
    assert facts(WINDOW, B2, OpOptions(mode=Mode.SAME))["window"] == (
        "sum(A * B) = 3: what correlate in valid mode gives for the one window."
    )


def test_dot_is_a_matrix_product():
    assert facts(WINDOW, SEED_B)["dot"] == (
        "dot[0, 0] = row 0 of A · column 0 of B = 2: the result is 3x3, a matrix product."
    )
    # undefined: the answer says why, and no bullet repeats it
    assert "dot" not in facts(SEED_A, SEED_B)


def test_the_seed_results():
    cmp = comparison.compare(WINDOW, SEED_B)
    assert cmp.results[Op.CONVOLVE].value.tolist() == [[4]]
    assert cmp.results[Op.CORRELATE].value.tolist() == [[4]]
    assert cmp.results[Op.ELEMENTWISE_SUM].value[()] == 4
    assert cmp.results[Op.DOT].value.tolist() == [[2, 1, 2], [1, 1, 1], [1, 0, 1]]
    cmp = comparison.compare(WINDOW, B2)
    assert (cmp.results[Op.CONVOLVE].value.tolist(), cmp.results[Op.CORRELATE].value.tolist()) == (
        [[4]],
        [[3]],
    )


def test_depth_is_a_dot_product_and_one_by_one_is_all_dot():
    a = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
    b = np.array([[[1]], [[2]]])
    found = facts(a, b, OpOptions(channels=True))
    assert found["depth"] == (
        "Over depth a CNN layer takes a dot product: channel c of A meets channel c of B and the 2 "
        "per-channel sums are added; at [0, 0]: 1 + 10 = 11."
    )
    assert found["1x1"] == (
        "B is 1x1, so the whole layer is a dot product over depth at every pixel: C[0, 0] = [1, 5] · [1, 2] = 11."
    )


def test_two_d_inputs_name_what_a_layer_computes():
    assert facts(SEED_A, SEED_B)["layer"] == (
        "A CNN layer computes correlate: a sum of element-wise products at each window, and over channels a "
        "dot product along depth (--channels shows it)."
    )


def test_the_textbooks_dot_product_is_the_flattened_inner_product():
    assert facts(WINDOW, B2)["flatten"] == (
        'The textbooks\' "dot product" flattens the window and B: np.dot(A[0:3, 0:3].ravel(), B.ravel()) = 3, '
        "the same sum (convcli im2col: every window at once)."
    )


def test_the_dot_of_two_vectors_is_the_neuron_s_dot_product():
    # the seed's other reading of "dot product": a fully connected layer, not a convolution
    assert facts(np.array([1, 2, 3]), np.array([4, 5, 6]))["dot"] == (
        "dot(A, B) = 32: the inner product of two vectors, as a fully connected neuron takes it of its "
        "input and weights (y = f(x·w + b))."
    )


def test_every_bullet_is_short():
    # supporting facts, not a wall of paragraphs: at most two lines of 80 columns each
    for a, b, options in [
        (SEED_A, SEED_B, None),
        (WINDOW, B2, None),
        (np.array([1, 2, 3]), np.array([4, 5, 6]), None),
        (np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), np.array([[[1]], [[2]]]), OpOptions(channels=True)),
    ]:
        for text in facts(a, b, options).values():
            assert len(text) <= 2 * 78, text


def test_channel_mismatch_flips_only_spatial_axes():
    a = np.ones((3, 4, 4), dtype=np.int64)
    b = np.array([[[[1]]], [[[2]]]])
    assert facts(a, b, OpOptions(channels=True))["flip"] == (
        "B turned 180° is B itself, so convolve(A, B) = correlate(A, B)."
    )


def test_the_backward_command_is_the_same_layer() -> None:
    # a strided, padded layer: grad must be asked of that layer, not of a plain one
    a = np.arange(32).reshape(2, 4, 4)
    b = np.ones((2, 2, 2), dtype=np.int64)
    options = OpOptions(channels=True, stride=(2,), padding=(1,))
    text = {f.topic: f.text for f in comparison.compare(a, b, options).facts}["backward"]
    assert text.endswith("convcli grad A B --stride 2 --padding 1 --channels --upstream G.")


def test_a_layer_says_how_its_backward_pass_relates() -> None:
    a = np.arange(18).reshape(2, 3, 3)
    b = np.ones((2, 2, 2), dtype=np.int64)
    facts = {f.topic: f.text for f in comparison.compare(a, b, OpOptions(channels=True)).facts}
    assert facts["backward"] == (
        "Backward (upstream G): dA is a transposed convolution of G with B, dB a correlation of A "
        "with G: convcli grad A B --channels --upstream G."
    )
    grouped = comparison.compare(np.arange(36).reshape(4, 3, 3), b, OpOptions(channels=True, groups=2))
    assert {f.topic: f.text for f in grouped.facts}["backward"].endswith(
        "convcli grad A B --channels --groups 2 --upstream G."
    )
    assert "backward" not in {f.topic for f in comparison.compare(a[0], b[0]).facts}
