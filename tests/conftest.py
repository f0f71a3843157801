from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

SEED_A = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]])
SEED_B = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
WINDOW = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1]])
B2 = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1]])


@pytest.fixture
def samples() -> Path:
    return SAMPLES
