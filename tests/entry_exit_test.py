"""The ``lekk`` process ends without the interpreter's teardown (``scanner.entry.quick_exit``);
what an exit must still do is done: atexit handlers, flushed output, threads still at work."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keygen
from helpers import ROOT, git


def _run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """``python ARGS``, its output captured as text."""
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env, **kw
    )


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # (buffered output)
    return _run("-c", code, env=env)


def test_atexit_handlers_run_and_buffered_output_is_flushed(tmp_path: Path) -> None:
    marker = tmp_path / "atexit-ran"
    code = (
        "import atexit, pathlib, sys, tempfile, weakref\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        f"kept = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})\n"  # a weakref finalizer
        "sys.stdout.write('x' * 100000)\n"  # buffered, no newline: only a flush writes it
        "sys.stderr.write('to stderr')\n"
        "from scanner.entry import quick_exit\n"
        "quick_exit(3)\n"
    )
    r = _python(code, tmp_path)
    assert r.returncode == 3
    assert r.stdout == "x" * 100000
    assert r.stderr == "to stderr"
    assert marker.read_text() == "yes"
    assert [p.name for p in tmp_path.iterdir()] == ["atexit-ran"]  # the directory was removed


def test_a_thread_still_at_work_is_waited_for(tmp_path: Path) -> None:
    """A thread that is not a daemon: the ordinary exit, which lets it finish."""
    done = tmp_path / "thread-done"
    code = (
        "import pathlib, threading, time\n"
        "def work():\n"
        "    time.sleep(0.3)\n"
        f"    pathlib.Path({str(done)!r}).write_text('done')\n"
        "threading.Thread(target=work).start()\n"
        "from scanner.entry import quick_exit\n"
        "quick_exit(1)\n"
    )
    r = _python(code, tmp_path)
    assert r.returncode == 1, r.stderr
    assert done.read_text() == "done"


def test_a_reader_that_goes_away_is_no_error(tmp_path: Path) -> None:
    """``lekk scan ... | head``: the exit code of the scan, no traceback, nothing ignored."""
    rng = random.Random(11)
    lines = (f"SAGAPAY_SECRET_{i} = '{keygen.sagapay_secret(rng)}'\n" for i in range(600))
    (tmp_path / "keys.py").write_text("".join(lines))  # ~200 KB of report: more than a pipe
    p = subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", str(tmp_path), "--format", "text"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None and p.stderr is not None
    assert p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 1
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_lekk_and_the_hook_skip_the_interpreters_teardown(tmp_path: Path) -> None:
    """``python -m scanner`` and ``python -m scanner.hooks`` end through ``quick_exit``: an
    object's finalizer that only the teardown would call is not called (it is without them)."""
    for module, argv in (("scanner", ["lekk", "--version"]), ("scanner.hooks", ["hooks"])):
        code = (
            "import runpy, sys\n"
            "class Late:\n"
            "    def __del__(self):\n"
            "        sys.stderr.write('teardown')\n"
            "late = Late()\n"
            f"sys.argv = {argv!r}\n"
            f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        )
        r = _python(code, tmp_path)
        assert r.returncode == (0 if module == "scanner" else 2), r.stderr
        assert "teardown" not in r.stderr, module
    ordinary = _python(
        "import sys\nclass Late:\n    def __del__(self):\n"
        "        sys.stderr.write('teardown')\nlate = Late()\n",
        tmp_path,
    )
    assert ordinary.stderr == "teardown"  # (what the check above would see without it)
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["lekk"] == "scanner.entry:run"  # (pip writes `sys.exit(run())`)


def test_a_profiler_still_has_its_say() -> None:
    """``python -m cProfile -m scanner``: the profiler reports once the program is over, so
    the ordinary exit is kept under a profiler (or a debugger)."""
    r = _run("-m", "cProfile", "-m", "scanner", "--version")
    assert r.returncode == 0, r.stderr
    assert "function calls" in r.stdout


def _closing(fd: int) -> Callable[[], None]:
    return lambda: os.close(fd)


def test_a_closed_stdout_or_stderr_is_no_error(tmp_path: Path) -> None:
    """``lekk ... >&-``: Python has None for the stream; the scan goes on, its output goes
    nowhere and the exit code still says there were findings (before: internal error, exit 3).
    The pre-commit hook's entry the same."""
    rng = random.Random(12)
    (tmp_path / "pay.py").write_text(f"SAGAPAY_SECRET = '{keygen.sagapay_secret(rng)}'\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "pay.py")
    commands = (
        ["-m", "scanner", "scan", str(tmp_path), "--format", "json"],
        ["-m", "scanner", "staged"],
        ["-m", "scanner.hooks", "pre-commit"],
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in commands:
        for fd in (1, 2):
            r = _run(*argv, cwd=tmp_path, env=env, preexec_fn=_closing(fd))
            assert r.returncode == 1, (argv, fd, r.stdout, r.stderr)
            said = r.stdout + r.stderr
            assert "lekk: error" not in said and "internal error" not in said, (argv, fd, said)
            assert "Traceback" not in said, (argv, fd, said)
