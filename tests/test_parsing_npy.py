""".npy files are read without pickles, and damaged ones are refused clearly.

CLI runs check exit code, stdout and stderr separately.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from convcli.cli import ExitCode

from .clicheck import assert_error, assert_ok, run


class _Trap:
    """Unpickling this creates a file: the proof that a pickle was run."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_npy_object_array_is_refused_and_its_pickle_never_run(tmp_path):
    proof = tmp_path / "pickle-was-run"
    path = tmp_path / "obj.npy"
    np.save(path, np.array([_Trap(str(proof)), 1], dtype=object), allow_pickle=True)
    err = assert_error(run("correlate", str(path), "1"))
    assert "holds Python objects (dtype object)" in err
    assert "expected numbers: bool, integer, float or complex" in err
    assert not proof.exists()


def test_npy_is_loaded_with_allow_pickle_false(tmp_path, monkeypatch):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(6).reshape(2, 3))
    calls = []
    real = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    assert_ok(run("correlate", str(path), "1", "-f", "plain"), "0 1 2\n3 4 5\n")
    assert calls and all(call.get("allow_pickle") is False for call in calls)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.array(["a", "b"]), "strings"),
        (np.array([b"a"]), "byte strings"),
        (np.zeros(2, dtype=[("x", "<i4")]), "records"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), "dates"),
    ],
)
def test_npy_non_numbers_are_refused(tmp_path, array, words):
    path = tmp_path / "a.npy"
    np.save(path, array)
    assert_error(run("correlate", str(path), "1"), words, "expected numbers")


def test_npy_pickle_file_in_disguise(tmp_path):
    proof = tmp_path / "pickle-was-run"
    path = tmp_path / "a.npy"
    path.write_bytes(pickle.dumps(_Trap(str(proof))))
    assert_error(run("correlate", str(path), "1"), "expected a NumPy .npy file")
    assert not proof.exists()


@pytest.mark.parametrize(
    "header",
    [
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }     ]\n",  # Python's tokenizer fails
        b"{'descr': [('a', '<f8', (1, 2, (3,)))], 'fortran_order': False, 'shape': (1,)}\n",
        b"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}\n",
        b"{'descr': 5, 'fortran_order': False, 'shape': (1,)}\n",
        b"not a dictionary at all\n",
    ],
)
def test_npy_damaged_headers(tmp_path, header):
    path = tmp_path / "a.npy"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 16)
    assert_error(run("correlate", str(path), "1"), "a.npy")


def test_npy_long_double_with_invalid_bit_patterns(tmp_path):
    # found by the fuzzer: a cast of such values warned (an error under -W error) instead of giving nan
    path = tmp_path / "a.npy"
    array = np.frombuffer(bytes(range(64)), dtype=np.uint8).view(np.longdouble)
    np.save(path, array)
    result = run("correlate", str(path), "1", "-f", "json")
    # what the bytes mean depends on the platform's long double: values (nan where invalid) or a refusal
    if result.exit_code == ExitCode.OK:
        assert_ok(result)
        assert json.loads(result.stdout)["shape"] == [1, array.size]
    else:
        assert_error(result)
