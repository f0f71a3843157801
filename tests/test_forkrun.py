"""The tests' forked convcli processes (tests/forkrun.py): a child starts as a new interpreter
would, gets the streams, environment, folder and terminal it was given, reports its end as
subprocess does, and the runs that must be new processes are."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from convcli.cli import ExitCode

from . import forkrun
from .conftest import ROOT

PROBE = [sys.executable, "-m", "tests.forkprobe"]


@pytest.fixture
def forking():
    if forkrun.server() is None:
        pytest.fail("the fork server did not start")


def probe_both(tmp_path: Path, **streams) -> tuple[dict, dict]:
    """What tests/forkprobe.py found, forked and in a new interpreter, with the same streams."""
    env = dict(os.environ, PROBE_MARK="1")
    reports = []
    report = tmp_path / "report.json"
    for way in ("forked", "new"):
        if way == "forked":
            proc = forkrun.Process([*PROBE, str(report)], cwd=ROOT, env=env, **streams)
        else:  # not convcli: popen starts a new process
            proc = forkrun.popen([*PROBE, str(report)], cwd=ROOT, env=env, **streams)
            assert isinstance(proc, subprocess.Popen)
        with proc:
            pass
        assert proc.returncode == 0
        reports.append(json.loads(report.read_text()))
        report.unlink()
    return reports[0], reports[1]


@pytest.mark.parametrize(
    "streams",
    [
        {"stdin": forkrun.PIPE, "stdout": forkrun.PIPE, "stderr": forkrun.PIPE},
        {"stdin": forkrun.DEVNULL, "stdout": forkrun.CLOSED, "stderr": forkrun.PIPE},
        {"stdin": forkrun.CLOSED, "stdout": forkrun.DEVNULL, "stderr": forkrun.CLOSED},
    ],
    ids=["pipes", "stdout-closed", "stdin-and-stderr-closed"],
)
def test_a_forked_child_starts_as_a_new_interpreter_does(forking, tmp_path, streams):
    forked, new = probe_both(tmp_path, **streams)
    assert forked == new
    # and what that means, said outright
    assert forked["argv0"] == str(ROOT / "tests" / "forkprobe.py")
    assert forked["orig_argv"] == [*PROBE, str(tmp_path / "report.json")]
    assert forked["main"] == ["__main__", "tests.forkprobe"]
    assert (forked["path0"], forked["cwd"]) == (str(ROOT), str(ROOT))
    assert forked["signals"]["SIGINT"] == "default_int_handler"
    assert forked["signals"]["SIGPIPE"] == forked["signals"]["SIGXFSZ"] == "SIG_IGN"
    assert forked["signals"]["SIGTERM"] == forked["signals"]["SIGUSR1"] == "SIG_DFL"
    assert forked["blocked"] == []
    assert forked["descriptors"] == [
        slot for slot, name in enumerate(("stdin", "stdout", "stderr")) if streams[name] is not forkrun.CLOSED
    ]
    assert not forked["session leader"]


def test_a_closed_stdout_is_sys_stdout_none(forking, tmp_path):
    forked, _ = probe_both(tmp_path, stdout=forkrun.CLOSED, stderr=forkrun.PIPE)
    assert forked["streams"]["stdout"] is None
    assert forked["streams"]["stderr"]["text"][4:6] == [
        "backslashreplace",
        forked["streams"]["stderr"]["text"][5],
    ]
    assert forked["streams"]["stdin"]["fileno"] == 0


def test_the_environment_is_the_one_given(forking, tmp_path):
    report = tmp_path / "r.json"
    with forkrun.Process([*PROBE, str(report)], cwd=ROOT, env={"ONLY": "this"}):
        pass
    assert json.loads(report.read_text())["environ"] == {"ONLY": "this"}


def test_the_folder_and_umask_are_the_ones_given(forking, tmp_path):
    old = os.umask(0o027)
    try:
        proc = forkrun.run(
            [*forkrun.CONVCLI, "correlate", "A.txt", "B.txt", "-o", str(tmp_path / "r.txt")],
            cwd=ROOT / "samples",
            capture_output=True,
        )
    finally:
        os.umask(old)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        ExitCode.OK,
        b"",
        f"wrote {tmp_path / 'r.txt'} (plain)\n".encode(),
    )
    assert (tmp_path / "r.txt").read_text() == "4 3 4\n2 4 3\n2 3 4\n"
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o640


def test_a_signal_is_a_negative_returncode(forking):
    # correlate - waits for standard input, which this pipe never gives
    proc = forkrun.popen([*forkrun.CONVCLI, "correlate", "-", "1"], stdin=forkrun.PIPE, stdout=forkrun.PIPE)
    assert isinstance(proc, forkrun.Process)
    with proc:
        assert proc.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.3)
        proc.send_signal(signal.SIGUSR1)
        assert proc.wait(timeout=60) == -signal.SIGUSR1
    assert proc.returncode == -signal.SIGUSR1
    proc.kill()  # after the end, as subprocess: nothing happens


def test_run_passes_input_and_decodes_text(forking):
    proc = forkrun.run(
        [*forkrun.CONVCLI, "correlate", "-", "1 1", "-f", "plain"],
        input="1 2 3\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (ExitCode.OK, "3 5\n", "")


def test_a_terminal_child_leads_its_session_and_ctrl_c_interrupts_it(forking, tmp_path):
    pexpect = forkrun._pexpect()
    report = tmp_path / "r.json"
    found = []
    for way in ("forked", "new"):
        argv = [*PROBE, str(report), "--wait"]
        if way == "forked":
            child = forkrun.forked_spawn(argv, cwd=ROOT, dimensions=(30, 50), encoding="utf-8")
        else:
            child = pexpect.spawn(
                argv[0],
                argv[1:],
                cwd=ROOT,
                dimensions=(30, 50),
                encoding="utf-8",
                preexec_fn=forkrun.default_sigint,
            )
        child.expect("waiting")
        found.append(json.loads(report.read_text()))
        report.unlink()
        child.sendintr()  # the line discipline turns ^C into SIGINT: KeyboardInterrupt in signal.pause
        child.expect(pexpect.EOF)
        child.close()
        assert "KeyboardInterrupt" in child.before
        assert (child.exitstatus, child.signalstatus) == (None, signal.SIGINT)
    assert found[0] == found[1]
    assert found[0]["session leader"] and found[0]["controlling terminal"]
    assert found[0]["descriptors"] == [0, 1, 2]


def test_spawn_forks_convcli_onto_a_terminal(forking):
    pexpect = forkrun._pexpect()
    child = forkrun.spawn(
        sys.executable,
        ["-m", "convcli", "dot", "samples/A.txt", "samples/B.txt"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        | {"TERM": "xterm-256color", "NO_COLOR": "1"},
        dimensions=(50, 40),
        encoding="utf-8",
    )
    assert isinstance(child.proc, forkrun.Process)
    child.expect(pexpect.EOF)
    child.close()
    assert (child.exitstatus, child.signalstatus) == (ExitCode.USAGE_OR_INPUT, None)
    # wrapped at the terminal's 40 columns, which only a terminal's size could tell it
    assert [line.rstrip() for line in child.before.replace("\r", "").splitlines()] == [
        "error: dot: A is 5x5 and B is 3x3; the",
        "inner dimensions (5 and 3) must match",
    ]
    shell = forkrun.spawn("bash", ["-c", "exit 3"])
    assert isinstance(shell, pexpect.spawn)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"PYTHONIOENCODING": "ascii"}, "PYTHONIOENCODING"),
        ({"LANG": "C"}, "LANG"),
        ({"LC_ALL": "C"}, "LC_ALL"),
        ({"OPENBLAS_NUM_THREADS": "1"}, "OPENBLAS_NUM_THREADS"),
    ],
)
def test_what_start_up_reads_makes_a_new_process(forking, change, reason):
    env = {**os.environ, **change}
    assert reason in forkrun.exec_reason(forkrun.CONVCLI, env)
    proc = forkrun.popen([*forkrun.CONVCLI, "--version"], stdout=forkrun.PIPE, env=env)
    assert isinstance(proc, subprocess.Popen)
    with proc:
        assert proc.stdout.read().startswith(b"convcli ")
    assert proc.returncode == 0


def test_what_a_run_reads_later_may_be_forked(forking):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    assert (
        forkrun.exec_reason(forkrun.CONVCLI, {**env, "NO_COLOR": "1", "COLUMNS": "40", "TERM": "dumb"})
        is None
    )
    assert forkrun.exec_reason(forkrun.CONVCLI, None) is None


def test_other_programs_and_preexec_functions_make_a_new_process(forking):
    assert forkrun.exec_reason([sys.executable, "-c", "pass"], None) == "the program is not python -m convcli"
    assert (
        forkrun.exec_reason(forkrun.CONVCLI, None, preexec_fn=os.getpid)
        == "a preexec_fn runs in the new process"
    )
    proc = forkrun.run([*forkrun.CONVCLI, "--version"], capture_output=True, preexec_fn=os.getpid)
    assert (proc.returncode, proc.stdout[:8], proc.stderr) == (0, b"convcli ", b"")


def test_peak_memory_of_a_forked_run(forking, tmp_path):
    with forkrun.popen([*forkrun.CONVCLI, "--version"], stdout=forkrun.DEVNULL) as proc:
        assert forkrun.peak_kib(proc) > 1000  # an interpreter with numpy loaded
    assert proc.returncode == 0
