"""The parsing budget: untrusted PDFs are inspected in parser processes that cannot outlive it.

An uploaded PDF is attacker-controlled input to large parsers (pyHanko in Python, PDFium and
qpdf in C). A loop in one of them (a page whose /Parent is itself) or an allocation it was talked
into (an xref stream declaring a billion entries, a 2 GB deflate bomb) must cost the server a
bounded amount, whatever the parser does. So the work that reads an upload — opening it, walking
its page tree, planning the seals, rendering previews, verifying its signatures — runs in a
small pool of parser processes (forked from a forkserver that imported the parsers once), each
job under:

- CPU time: RLIMIT_CPU set to the CPU the process has used so far plus the budget; the kernel
  stops a runaway loop with SIGXCPU, C code included;
- memory: RLIMIT_AS set to the process's current address space plus the budget; an allocation
  past it fails (MemoryError, or PDFium's malloc failing), never the machine;
- wall clock: the caller waits at most the budget, then kills the process group (the qpdf it
  may have started goes with it) and replaces the process.

Exceeding any of them is `PdfTooComplex` (422, code pdf_too_complex) for the user; every other
failure of a parser on the upload is `PdfMalformed`. A process is reused for the next job (the
CPU and memory limits are relative to where it stands), and replaced after a budget was
exceeded or after MAX_JOBS jobs. What runs here must be a module-level function of the pure
signing core (it is sent by reference) taking and returning plain, picklable data.
"""

from __future__ import annotations

import ctypes
import logging
import math
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from inkseal.core.errors import DomainError
from inkseal.signing.core.errors import PdfMalformed, PdfParserBusy, PdfTooComplex

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_JOBS = 500  # jobs per parser process before it is replaced (parsers' caches and fragmentation)
_PRELOAD = ["inkseal.signing.parsing.inspection"]


@dataclass(frozen=True)
class Budget:
    """What one inspection of an untrusted PDF may cost."""

    cpu_seconds: float = 10.0
    wall_seconds: float = 20.0
    memory_mb: int = 768


# Where the default budget and the idle pool's size come from. The signing app points these at its
# Django settings in ready() (read at each call, so a changed setting applies at once); this module
# imports no Django, so the pure core that uses `guarded` stays pure, and on its own it uses the defaults.
_default_budget: Callable[[], Budget] = Budget
_idle_processes: Callable[[], int] | None = None


def _unconfigured_slots() -> tuple[int, float | None]:
    return 1, None


_slot_limits: Callable[[], tuple[int, float | None]] = _unconfigured_slots


def configure(
    default_budget: Callable[[], Budget],
    idle_processes: Callable[[], int],
    slot_limits: Callable[[], tuple[int, float | None]] | None = None,
) -> None:
    """Set where the default budget (PDF_PARSE_CPU_SECONDS, _WALL_SECONDS, _MEMORY_MB), the
    number of idle parser processes (PDF_PARSE_IDLE_PROCESSES) and the parse slots per process
    (PDF_PARSE_CONCURRENCY, PDF_PARSE_QUEUE_SECONDS) come from."""
    global _default_budget, _idle_processes, _slot_limits
    _default_budget, _idle_processes = default_budget, idle_processes
    if slot_limits is not None:
        _slot_limits = slot_limits


def settings_budget() -> Budget:
    """The configured default budget (the Django settings once the signing app is ready)."""
    return _default_budget()


def run(function: Callable[..., T], *args: Any, budget: Budget | None = None, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in a parser process under `budget` (default: the settings'),
    in one of this process's parse slots (PdfParserBusy when none frees in time)."""
    with slot():
        return _pool().run(function, args, kwargs, budget or settings_budget())


RETRY_AFTER_SECONDS = 5  # what a refusal for want of a parse slot tells the client


@contextmanager
def slot() -> Iterator[None]:
    """One of this web process's PDF_PARSE_CONCURRENCY parse slots, waited for at most
    PDF_PARSE_QUEUE_SECONDS, else PdfParserBusy (503, Retry-After). Web threads waiting on parser
    processes are then at most that many per process, so the others stay free for light requests
    (/healthz, pages) while hostile PDFs hold the parsers for their whole budget."""
    size, wait = _slot_settings()
    slots = _slots(size)
    if not slots.acquire(timeout=wait):
        logger.warning("all %d PDF parse slots of this process are busy: request refused", size)
        raise PdfParserBusy(
            "all PDF parsers are busy, try again shortly", retry_after=RETRY_AFTER_SECONDS, concurrency=size
        )
    try:
        yield
    finally:
        slots.release()


_slot_semaphores: dict[tuple[int, int], threading.BoundedSemaphore] = {}


def _slots(size: int) -> threading.BoundedSemaphore:
    with _pools_lock:
        key = (os.getpid(), size)  # a forked web worker makes its own
        semaphore = _slot_semaphores.get(key)
        if semaphore is None:
            semaphore = _slot_semaphores[key] = threading.BoundedSemaphore(size)
        return semaphore


def _slot_settings() -> tuple[int, float | None]:
    """(parse slots per process, seconds a request waits for one); unconfigured (a command-line
    run, nothing else to serve): 1 slot, waited for as long as it takes."""
    size, wait = _slot_limits()
    return max(1, size), wait


def warm() -> None:
    """Start this process's parser processes in the background (a web worker at start-up), so
    the first upload does not wait for the parsers' imports (seconds on a busy machine)."""
    threading.Thread(target=_pool().warm, daemon=True, name="inkseal-pdf-parser-warm").start()


def close() -> None:
    """Stop this process's idle parser processes (the next job starts a fresh one)."""
    _pool().close()


def ready() -> bool:
    """A parser process's answer to warm(): it has imported the parsers."""
    return True


# --- in the web process: a watchdog for what must run there ----------------------------------------


class _Overrun(PdfTooComplex):
    """Raised into a guarded thread by its watchdog (a class, no message: what the C API
    delivers); a PdfTooComplex itself, should it land anywhere but in `guarded`'s handler."""


@contextmanager
def guarded(budget: Budget, wall_factor: float = 2.0) -> Iterator[None]:
    """Run the block (signing a document that passed inspection) under the budget's CPU time and
    `wall_factor` times its wall clock: a watchdog thread looks at the calling thread's CPU clock
    four times a second and, past either limit, raises PdfTooComplex in it. The exception lands
    at the thread's next Python instruction, so pyHanko's loops stop; a single C call runs to its
    end (what runs here was inspected in a parser process first). Memory is not bounded here:
    declared sizes and decoding limits are (inkseal.signing.core.guards, pyHanko's decode limits)."""
    target = threading.get_ident()
    clock = time.pthread_getcpuclockid(target)
    started_cpu, started = time.clock_gettime(clock), time.monotonic()
    state = {"done": False, "fired": ""}
    lock, finished = threading.Lock(), threading.Event()

    def watch() -> None:
        while not finished.wait(0.25):
            with lock:
                if state["done"]:
                    return
                cpu = time.clock_gettime(clock) - started_cpu
                wall = time.monotonic() - started
                over_wall = wall > budget.wall_seconds * wall_factor
                fired = "cpu" if cpu > budget.cpu_seconds else "time" if over_wall else ""
                if fired:
                    state["fired"] = fired
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(_Overrun))
                    return

    watchdog = threading.Thread(target=watch, daemon=True, name="inkseal-pdf-watchdog")
    watchdog.start()
    try:
        yield
    except _Overrun:
        raise _exceeded(str(state["fired"]), budget) from None
    finally:
        finished.set()
        with lock:
            state["done"] = True
            if state["fired"]:  # delivered already, or still pending: never let it out of here
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)


# --- the parser process -------------------------------------------------------------------------


def _log_to_stderr() -> None:
    """A parser process has none of the server's logging configuration: its records go to stderr
    the same way, a library's expected verdicts on one line (no traceback), secrets redacted."""
    from inkseal.core.library_logs import OneLineLibraryExceptions
    from inkseal.core.logredact import RedactSecretsFilter

    handler = logging.StreamHandler()
    handler.addFilter(OneLineLibraryExceptions())
    handler.addFilter(RedactSecretsFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _serve(connection: Connection) -> None:
    """A parser process: run jobs until the pipe closes."""
    _log_to_stderr()
    os.setpgid(0, 0)  # its own process group: a kill on timeout takes its qpdf along
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which then closes the pipe
    while True:
        try:
            function, args, kwargs, budget = connection.recv()
        except (EOFError, OSError):
            return
        _limit(budget)
        try:
            reply: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except MemoryError:
            reply = ("exceeded", "memory")
        except RecursionError:
            reply = ("error", PdfMalformed("the PDF nests objects too deeply", detail="RecursionError"))
        except DomainError as exc:
            reply = ("error", exc)
        except Exception as exc:  # any parser failure on untrusted bytes is a bad file
            reply = ("error", PdfMalformed(f"the PDF cannot be read: {type(exc).__name__}", detail=type(exc).__name__))
        _unlimit()
        try:
            connection.send(reply)
        except MemoryError:
            connection.send(("exceeded", "memory"))
        except Exception as exc:  # a result that does not pickle: a bug, but still an answer
            connection.send(("error", PdfMalformed(f"the answer cannot be sent: {exc!r}", detail=type(exc).__name__)))
        if reply[0] == "exceeded":
            return  # a process that ran out of memory is not trusted with the next job


def _limit(budget: Budget) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(used + budget.cpu_seconds), resource.RLIM_INFINITY))
    address_space = _address_space()
    limit = address_space + budget.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))


def _unlimit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


# --- the pool, in the web process -----------------------------------------------------------------


class _Parser:
    def __init__(self, context: Any) -> None:
        self.connection, theirs = multiprocessing.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,), daemon=True, name="inkseal-pdf-parser")
        self.process.start()
        theirs.close()
        self.jobs = 0

    def kill(self) -> int | None:
        """Kill the process and whatever it started (its own process group); its exit status."""
        pid = self.process.pid
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):  # gone, or not yet its own group leader
                self.process.kill()
        self.process.join(5)
        self.connection.close()
        return self.process.exitcode


class _Pool:
    """Idle parser processes of this web process; one per concurrent request at most."""

    def __init__(self, idle: int = 2) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._idle: list[_Parser] = []
        self._keep = idle
        self._lock = threading.Lock()

    def run(self, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any], budget: Budget) -> T:
        parser = self._checkout()
        healthy = False
        job = (function, args, kwargs, budget)
        try:
            try:
                parser.connection.send(job)
            except OSError:  # the idle process died meanwhile: a fresh one takes the job
                parser.kill()
                parser = _Parser(self._context)
                parser.connection.send(job)
            if not parser.connection.poll(budget.wall_seconds):
                raise _exceeded("time", budget)
            try:
                status, payload = parser.connection.recv()
            except (EOFError, OSError):
                code = parser.kill()
                raise _exceeded("cpu" if code == -signal.SIGXCPU else "memory", budget)
            if status == "exceeded":
                raise _exceeded(str(payload), budget)
            healthy = True
            if status == "error":
                raise payload
            return payload  # type: ignore[no-any-return]
        finally:
            parser.jobs += 1
            self._checkin(parser, healthy)

    def warm(self) -> None:
        parsers = [self._checkout() for _ in range(self._keep)]
        for parser in parsers:
            healthy = False
            try:
                parser.connection.send((ready, (), {}, Budget(60, 120, 1024)))
                healthy = parser.connection.poll(120) and parser.connection.recv() == ("ok", True)
            except (EOFError, OSError):
                pass
            finally:
                self._checkin(parser, bool(healthy))

    def _checkout(self) -> _Parser:
        with self._lock:
            while self._idle:
                parser = self._idle.pop()
                if parser.process.is_alive():
                    return parser
                parser.kill()
        return _Parser(self._context)

    def _checkin(self, parser: _Parser, healthy: bool) -> None:
        if healthy and parser.jobs < MAX_JOBS:
            with self._lock:
                if len(self._idle) < self._keep:
                    self._idle.append(parser)
                    return
        parser.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for parser in idle:
            parser.kill()


def _exceeded(resource_name: str, budget: Budget) -> PdfTooComplex:
    logger.warning("an untrusted PDF exceeded the parsing budget (%s)", resource_name)
    limits = {"cpu": budget.cpu_seconds, "time": budget.wall_seconds, "memory": budget.memory_mb}
    return PdfTooComplex(
        f"processing the PDF exceeded its {resource_name} budget", resource=resource_name, limit=limits[resource_name]
    )


_pools: dict[int, _Pool] = {}
_pools_lock = threading.Lock()


def _pool() -> _Pool:
    """This process's pool (a forked web worker makes its own)."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = _pools[os.getpid()] = _Pool(_idle_parsers())
        return pool


def _idle_parsers() -> int:
    """How many parser processes wait idle (PDF_PARSE_IDLE_PROCESSES once configured, else 2)."""
    return 2 if _idle_processes is None else int(_idle_processes())
