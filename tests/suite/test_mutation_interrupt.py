"""Ctrl-C during `make mutation` stops the batch through its own shutdown (probe and stack), never a SIGKILL."""
from __future__ import annotations

import sys

import pytest

from scripts.mutation import __main__ as mutation

# stands for a batch: it stops cleanly on SIGINT, and it is the one that interrupts its caller here
BATCH = """
import os, pathlib, signal, sys
def stop(*_):
    pathlib.Path(sys.argv[1]).write_text("stack stopped")
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
os.kill(os.getppid(), signal.SIGINT)
signal.pause()
"""


def test_an_interrupted_run_lets_its_batch_stop_its_stack(tmp_path, monkeypatch):
    import signal

    monkeypatch.setattr(mutation, "INTERRUPT_GRACE_S", 0.2)
    marker = tmp_path / "stopped"
    # Ctrl-C must raise here, as `make mutation` ensures for itself (interrupt_on_signals): pytest
    # started in the background of a non-interactive shell inherits SIGINT ignored, and the test hung
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            mutation.run_batch_process([sys.executable, "-c", BATCH, str(marker)], cwd=tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert marker.read_text() == "stack stopped"


def test_a_batch_that_ends_on_its_own_gives_its_exit_code(tmp_path):
    assert mutation.run_batch_process([sys.executable, "-c", "raise SystemExit(3)"], cwd=tmp_path) == 3


STOPPING_BATCH = """
import signal, subprocess, sys, time
import psutil
from scripts.mutation.batch import stop_children
probe = ("import signal, subprocess, sys\\n"
         "subprocess.Popen([sys.executable, '-c', 'import signal; signal.pause()'], start_new_session=True)\\n"
         "signal.pause()\\n")
subprocess.Popen([sys.executable, "-c", probe], start_new_session=True)
me, deadline = psutil.Process(), time.monotonic() + 10
while len(me.children(recursive=True)) < 2 and time.monotonic() < deadline:
    psutil.wait_procs(me.children(recursive=True), timeout=0.05)
before = len(me.children(recursive=True))
stop_children()
print(before, len(me.children(recursive=True)))
"""


def test_stopping_a_batch_reaches_the_probe_and_its_behave_in_sessions_of_their_own():
    # in a process of its own: stop_children stops every child of the calling process
    import subprocess

    from scripts.mutation.__main__ import REPO

    out = subprocess.run([sys.executable, "-c", STOPPING_BATCH], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split() == ["2", "0"], out.stderr


SIGNALLED_RUN = """
import signal, sys, time
from scripts.mutation.batch import interrupt_on_signals
signal.signal(signal.SIGINT, signal.SIG_IGN)   # as inherited by a background job of a non-interactive shell
interrupt_on_signals()
try:
    print("ready", flush=True)   # inside the try: a signal right after it must not find the handler missing
    time.sleep(30)
except KeyboardInterrupt:
    print("stopped cleanly", flush=True)
    sys.exit(130)
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_a_run_started_in_the_background_stops_cleanly_on_sigint_and_on_sigterm(signum):
    import signal
    import subprocess

    from scripts.mutation.__main__ import REPO

    run = subprocess.Popen([sys.executable, "-c", SIGNALLED_RUN], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline().strip() == "ready"
    run.send_signal(getattr(signal, signum))
    out, _ = run.communicate(timeout=20)
    assert (run.returncode, out.strip()) == (130, "stopped cleanly")
