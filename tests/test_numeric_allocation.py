"""Sizes are checked before memory is allocated (numeric.check_allocation); steps and tables
render only what they show.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from convcli import numeric

from .clicheck import assert_error, assert_ok, run


def _npy_header_only(path: Path, shape: tuple[int, ...], descr: str = "<f8") -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
        f.write(b"\x00" * 64)


def test_npy_header_claiming_a_huge_shape(tmp_path):
    path = tmp_path / "huge.npy"
    _npy_header_only(path, (10**6, 10**6))
    assert path.stat().st_size < 300
    err = assert_error(run("correlate", str(path), "1"))
    assert "1000000x1000000" in err
    assert "8,000,000,000,000 bytes of float64" in err
    assert "expected a complete .npy file" in err


def test_npy_header_with_a_dimension_of_zero_among_huge_ones(tmp_path):
    path = tmp_path / "empty.npy"
    _npy_header_only(path, (0, 2**62, 2**62))
    assert_error(run("correlate", str(path), "1"), "empty array")


def test_npy_larger_than_memory_is_refused_with_its_size(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    np.save(path, np.ones((100, 100)))
    monkeypatch.setattr(numeric, "memory_limit", lambda: 50_000)
    err = assert_error(run("correlate", str(path), "1"))
    assert "100x100 (10,000 entries" in err
    assert "more than the" in err


def test_a_full_result_too_large_for_memory(tmp_path):
    row, column = tmp_path / "row.npy", tmp_path / "column.npy"
    np.save(row, np.ones((1, 300_000)))
    np.save(column, np.ones((300_000, 1)))
    err = assert_error(run("convolve", str(row), str(column), "--mode", "full"))
    assert "would be 599999x300000" in err or "would be 300000x300000" in err
    assert "GiB" in err and "more than the" in err


def test_padding_too_large_for_memory():
    assert_error(run("correlate", "1", "1", "--padding", "99999999999999"), "the padded input would be")


def test_steps_on_a_large_input_derive_only_the_capped_cells(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((2000, 2000)))
    started = time.perf_counter()
    result = run("steps", str(path), "box:3", "-f", "plain")
    elapsed = time.perf_counter() - started
    assert_ok(result)
    assert result.stdout.count("\nC[") == 25
    assert "note: showing 25 of 3992004 cells" in result.stderr
    assert len(result.stdout) < 20_000
    assert elapsed < 60  # measured well under that; a bound to catch deriving every cell


def test_steps_table_on_a_large_input_is_bounded(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((1000, 1000)))
    result = run("steps", str(path), "box:3", "-f", "table", "--max-steps", "3")
    assert_ok(result)
    assert len(result.stdout) < 20_000


def test_table_of_a_1024_result_is_bounded(tmp_path):
    path = tmp_path / "big.npy"
    np.save(path, np.ones((1026, 1026)))
    started = time.perf_counter()
    result = run("correlate", str(path), "box:3", "-f", "table")
    elapsed = time.perf_counter() - started
    assert_ok(result)
    assert "1024x1024" in result.stdout
    assert len(result.stdout) < 20_000  # a summary, not a million cells
    assert elapsed < 60
