"""Activations as numpy and torch compute them: relu keeps nan, sigmoid keeps its digits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convcli import ops
from convcli.model import Activation, Kind, Op, OpOptions
from convcli.steps import derive


def sigmoid(x: float) -> float:
    """The logistic function, each side written so that it does not lose digits."""
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


@pytest.mark.parametrize("x", [-745.0, -40.0, -20.5, -1.0, -1e-9, 0.0, 1e-9, 0.75, 20.0, 40.0, 800.0])
def test_sigmoid_to_the_last_digits(x):
    value, kind = ops.activate(np.array([x]), Activation.SIGMOID, Kind.FLOAT)
    assert kind is Kind.FLOAT
    assert value[0] == pytest.approx(sigmoid(x), rel=4e-16, abs=0)


def test_sigmoid_of_minus_forty_through_the_operation():
    result = ops.correlate(np.array([[-40.0]]), np.array([[1.0]]), OpOptions(activation=Activation.SIGMOID))
    assert result.value.tolist() == [[4.248354255291589e-18]]


def test_sigmoid_of_infinities_and_nan():
    value, _ = ops.activate(np.array([-math.inf, math.inf, math.nan]), Activation.SIGMOID, Kind.FLOAT)
    assert value[:2].tolist() == [0.0, 1.0]
    assert math.isnan(value[2])


def test_relu_keeps_nan():
    value, _ = ops.activate(np.array([math.nan, -1.0, 2.0, -math.inf]), Activation.RELU, Kind.FLOAT)
    assert math.isnan(value[0])
    assert value[1:].tolist() == [0.0, 2.0, 0.0]
    steps = derive(Op.CORRELATE, np.array([[math.nan, 1.0]]), np.array([[1.0]]), OpOptions(activation="relu"))
    assert math.isnan(steps.steps[0].value) and steps.steps[1].value == 1.0
