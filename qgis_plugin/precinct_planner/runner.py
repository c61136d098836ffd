"""Running the installed ``planner`` command: find it, check its version, run it.

Nothing here imports QGIS or the planner: the plugin runs in QGIS's own Python, which has
neither geopandas nor the planner's other dependencies, and hands the work to the ``planner``
command in the user's environment. This module is plain Python so that it can be tested without
QGIS.

- :func:`find_planner` finds the command (a provider setting, else ``PATH``) and checks
  ``planner --version``; a missing or too old planner raises :class:`PlannerNotFoundError` with the
  install command.
- :func:`run_planner` runs one command, hands every progress line to callbacks while it runs,
  and stops it on cancel with SIGTERM (never SIGKILL first), which the planner handles like
  Ctrl+C: ``--out`` stays as it was.
- :class:`StepParser` reads the planner's progress lines (``  reading x.osm ... 0.7 s``).
"""

from __future__ import annotations

import codecs
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: The oldest planner the plugin works with (it must answer ``planner --version``).
MIN_VERSION = (0, 1, 0)
INSTALL_COMMAND = 'python3 -m pip install -e "/path/to/precinct-planner"'
SETTING_HINT = (
    "Processing > Options > Providers > Precinct planner > 'planner command' (the full path of "
    "the planner executable, e.g. /home/me/.venv/bin/planner or C:\\planner\\Scripts\\planner.exe)"
)

#: What the planner's exit codes mean (planner --help).
EXIT_CODES = {
    2: "bad input or options",
    3: "a download failed",
    4: "every unit of the national run failed",
    5: "the outputs could not be written",
    130: "interrupted",
    143: "terminated",
}


class PlannerNotFoundError(RuntimeError):
    """No usable ``planner`` command: missing, not runnable or too old."""


class PlannerFailedError(RuntimeError):
    """The planner ran and exited with an error; the message is the planner's own."""

    def __init__(self, message: str, *, returncode: int, canceled: bool = False) -> None:
        super().__init__(message)
        self.returncode = returncode
        self.canceled = canceled


def _not_found(what: str) -> PlannerNotFoundError:
    return PlannerNotFoundError(
        f"{what}\nThe Precinct planner tools run the 'planner' command (version "
        f"{'.'.join(map(str, MIN_VERSION))} or newer) of the precinct-planner project. Install it "
        f"with Python 3.11 or newer: {INSTALL_COMMAND} (or 'pip install -e .' in the project "
        f"folder); then put 'planner' on the PATH or give its full path in {SETTING_HINT}."
    )


def parse_version(text: str) -> tuple[int, ...] | None:
    """``'planner 0.1.0'`` -> ``(0, 1, 0)``; None when the text holds no version."""
    match = re.search(r"\bplanner\s+v?(\d+(?:\.\d+)*)", text)
    if match is None:
        return None
    return tuple(int(p) for p in match.group(1).split("."))


def find_planner(setting: str | None = None, *, timeout_s: float = 120.0) -> tuple[str, str]:
    """The planner executable and its version text.

    ``setting`` is the provider's "planner command" setting: when given, that file is used;
    otherwise ``planner`` is looked up on ``PATH``. Raises :class:`PlannerNotFoundError` with the
    install command when there is none, it does not run, or it is older than
    :data:`MIN_VERSION` (planners before 0.1.0's ``--version`` cannot say their version).
    """
    if setting and setting.strip():
        exe = setting.strip()
        if not Path(exe).is_file():
            found = shutil.which(exe)
            if found is None:
                raise _not_found(
                    f"The planner command set in the provider settings, {exe!r}, is not a file."
                )
            exe = found
    else:
        found = shutil.which("planner")
        if found is None:
            raise _not_found("The 'planner' command is not installed (not found on the PATH).")
        exe = found
    try:
        done = subprocess.run(
            [exe, "--version"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _not_found(f"{exe} --version did not run: {exc}") from None
    version = parse_version(done.stdout + "\n" + done.stderr)
    if done.returncode != 0 or version is None:
        raise _not_found(
            f"{exe} is too old or not the precinct planner: '{exe} --version' did not answer "
            f"with a version (exit code {done.returncode})."
        )
    if version < MIN_VERSION:
        raise _not_found(
            f"{exe} is version {'.'.join(map(str, version))}, too old for this plugin."
        )
    return exe, done.stdout.strip() or done.stderr.strip()


# ------------------------------------------------------------------------------ progress lines

_STEP_START = re.compile(r"^  (\S.*?) \.\.\.")
_STEP_DONE = re.compile(r"^  (\S.*?) \.\.\.(?: \d+ s \.\.\.)* (\d+(?:\.\d+)?) s$")
_BAR = re.compile(r"^  (\S+)\s+\[[#.]*\] (\d+)/(\d+)")


@dataclass
class StepParser:
    """Turns the planner's standard error, fed in chunks as it comes, into events.

    The planner prints ``"  what ..."`` when a step starts and ``" 1.2 s"`` and a newline when
    it ends (``" 10 s ..."`` heartbeats in between for long steps); the national run adds bar
    lines ``"  units [###...] 3/67 ..."``. Events: ``("start", what)``, ``("done", what, line)``,
    ``("bar", phase, done, total)`` and ``("line", text)`` for every other line.
    """

    partial: str = ""
    announced: bool = False
    events: list[tuple[object, ...]] = field(default_factory=list)

    def feed(self, text: str) -> list[tuple[object, ...]]:
        self.events = []
        text = text.replace("\r", "\n")
        while "\n" in text:
            head, text = text.split("\n", 1)
            self.partial += head
            self._start()
            self._line(self.partial)
            self.partial, self.announced = "", False
        self.partial += text
        self._start()
        return self.events

    def close(self) -> list[tuple[object, ...]]:
        self.events = []
        if self.partial:
            self._line(self.partial)
        self.partial = ""
        return self.events

    def _start(self) -> None:
        if not self.announced:
            match = _STEP_START.match(self.partial)
            if match is not None:
                self.announced = True
                self.events.append(("start", match.group(1)))

    def _line(self, line: str) -> None:
        done = _STEP_DONE.match(line)
        if done is not None:
            self.events.append(("done", done.group(1), line.strip()))
            return
        bar = _BAR.match(line)
        if bar is not None:
            self.events.append(("bar", bar.group(1), int(bar.group(2)), int(bar.group(3))))
        if line.strip():
            self.events.append(("line", line.rstrip()))


def error_message(stderr: str, returncode: int) -> str:
    """The planner's own message from its standard error.

    The CLI prints ``planner: <message>`` (file, row, column, value and the fix) after an
    empty line; argparse prints ``planner coverage: error: ...``. Without either, the last
    lines of the output.
    """
    text = stderr.replace("\r", "\n")
    at = text.rfind("\nplanner: ")
    if at >= 0:
        message = text[at + len("\nplanner: ") :].strip()
    elif text.startswith("planner: "):
        message = text[len("planner: ") :].strip()
    else:
        match = re.search(r"^planner[^\n]*?: error: (.*)$", text, flags=re.MULTILINE | re.DOTALL)
        if match is not None:
            message = match.group(1).strip()
        else:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            message = "\n".join(lines[-15:]) or "(no message)"
    meaning = EXIT_CODES.get(returncode)
    if meaning is None and returncode < 0:
        meaning = f"stopped by signal {-returncode}"
    return f"{message}\n(planner exit code {returncode}{': ' + meaning if meaning else ''})"


# ------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Finished:
    """A planner run that exited with code 0."""

    stdout: str
    stderr: str
    seconds: float


def _reader(stream: object, name: str, out: queue.Queue[tuple[str, str | None]]) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    fd = stream.fileno()  # type: ignore[attr-defined]
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            tail = decoder.decode(b"", final=True)
            if tail:
                out.put((name, tail))
            out.put((name, None))
            return
        text = decoder.decode(chunk)
        if text:
            out.put((name, text))


def run_planner(
    command: Sequence[str],
    *,
    on_event: Callable[[tuple[object, ...]], None] = lambda event: None,
    is_canceled: Callable[[], bool] = lambda: False,
    poll_s: float = 0.1,
    stop_timeout_s: float = 120.0,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> Finished:
    """Run ``command`` (the planner and its arguments) until it ends.

    Standard error is parsed as it comes (:class:`StepParser`) and each event handed to
    ``on_event``; standard output (the summary) is collected. When ``is_canceled()`` turns
    true, the planner gets SIGTERM (on Windows CTRL_BREAK) and is waited for: it cleans up its
    staging folder and lock and leaves ``--out`` as it was. Only if it is still running
    ``stop_timeout_s`` later is it killed. Raises :class:`PlannerFailedError` with the planner's own
    message for a non-zero exit code (``canceled`` set when the stop was asked for).
    """
    environ = dict(os.environ if env is None else env)
    environ["PYTHONUNBUFFERED"] = "1"
    environ.setdefault("PYTHONIOENCODING", "utf-8")
    kwargs: dict[str, object] = {}
    if os.name == "nt":  # pragma: no cover - Windows: a group that CTRL_BREAK reaches
        kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True  # QGIS's own signals stay away from the planner
    t0 = time.monotonic()
    proc = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
        cwd=cwd,
        **kwargs,  # type: ignore[call-overload]
    )
    chunks: queue.Queue[tuple[str, str | None]] = queue.Queue()
    threads = [
        threading.Thread(target=_reader, args=(proc.stdout, "stdout", chunks), daemon=True),
        threading.Thread(target=_reader, args=(proc.stderr, "stderr", chunks), daemon=True),
    ]
    for t in threads:
        t.start()
    parser = StepParser()
    out: list[str] = []
    err: list[str] = []
    open_streams = 2
    stop_sent_at: float | None = None
    killed = False
    while open_streams:
        try:
            name, text = chunks.get(timeout=poll_s)
        except queue.Empty:
            name, text = "", ""
        if text is None:
            open_streams -= 1
            if name == "stderr":
                for event in parser.close():
                    on_event(event)
        elif name == "stdout":
            out.append(text)
        elif name == "stderr":
            err.append(text)
            for event in parser.feed(text):
                on_event(event)
        if stop_sent_at is None and is_canceled() and proc.poll() is None:
            _stop(proc)
            stop_sent_at = time.monotonic()
            on_event(
                ("line", "cancel asked: planner stopped with SIGTERM, waiting for it to clean up")
            )
        elif (
            stop_sent_at is not None
            and not killed
            and time.monotonic() - stop_sent_at > stop_timeout_s
            and proc.poll() is None
        ):
            proc.kill()
            killed = True
    returncode = proc.wait()
    for t in threads:
        t.join(timeout=5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    stdout, stderr = "".join(out), "".join(err)
    if returncode != 0:
        raise PlannerFailedError(
            error_message(stderr, returncode),
            returncode=returncode,
            canceled=stop_sent_at is not None,
        )
    return Finished(stdout=stdout, stderr=stderr, seconds=time.monotonic() - t0)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask the planner to stop the way Ctrl+C or ``kill`` would: it then restores ``--out``."""
    try:
        if os.name == "nt":  # pragma: no cover
            proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
        else:
            proc.send_signal(signal.SIGTERM)
    except OSError:
        pass
