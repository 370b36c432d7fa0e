"""Line-by-line heap profile of one Python function, like memory_profiler.

    import mtrace

    def load():
        return bytearray(5 << 20)

    @mtrace.profile                     # or @mtrace.profile(stream=f, precision=3)
    def work():
        keep = bytearray(10 << 20)
        n = len(bytearray(20 << 20))
        more = load()
        del keep
        return more

    with mtrace.profile_block():        # or: the lines of a with block
        ...

Each time a call of the decorated function returns (a generator, coroutine or
async generator: when it is done), a table in memory_profiler 0.61's shape is
printed, with one more column:

    Filename: app.py

    Line #    Mem usage    Increment  Occurrences    Allocated   Line Contents
    ==========================================================================
         6      4.0 MiB      0.0 MiB           1      0.0 MiB   @mtrace.profile
         7                                                      def work():
         8     14.0 MiB     10.0 MiB           1     10.0 MiB       keep = bytearray(10 << 20)
         9     14.0 MiB      0.0 MiB           1     20.0 MiB       n = len(bytearray(20 << 20))
        10     19.0 MiB      5.0 MiB           1      5.0 MiB       more = load()
        11      9.0 MiB    -10.0 MiB           1      0.0 MiB       del keep
        12      9.0 MiB      0.0 MiB           1      0.0 MiB       return more

The figures are the tracer's exact counters: the shim must be loaded and
trace every allocation (without it the call raises NotLoadedError, under
MTRACE_SAMPLE_BYTES ProfileError).

- Mem usage: the process's traced heap (get_traced_memory()'s current) when
  the line finished, the largest over its runs (memory_profiler: RSS).
- Increment: memory_profiler's definition on the calling thread's own heap:
  the bytes this thread allocated minus those it freed while the line ran,
  summed over the line's runs (`del keep`: negative). Everything the line
  calls counts on it: helpers, C code, nested profiled calls.
- Occurrences: how many times the line started (a loop's header once more
  than its body); the first row (co_firstlineno: the def, or its first
  decorator) counts the calls.
- Allocated: bytes allocated while the line ran, in total, temporaries
  included (memory_profiler cannot see these).

Options (memory_profiler's names and order): ``stream`` (file-like, default
sys.stdout), ``precision`` (decimals of the MiB figures, default 1),
``backend`` (None: sys.monitoring on 3.12+, sys.settrace before; "settrace"
forces the latter); and ``format``: "table" (the default), "json" (one JSON
object per profile on one line: filename, function, first_line, thread,
unit "B", and per source line lineno, mem_usage, increment, occurrences,
allocated in bytes and contents, null where the line did not run) or None
(print nothing). Programmatic: ``callback=fn`` receives each ProfileResult
(``.lines``: LineStats namedtuples, ``result[lineno]``, ``.table()``,
``.to_dict()``, ``.json()``); ``wrapper.last_result`` holds the latest, and
``with profile_block() as p: ...`` leaves it in ``p.result``.

Events. On 3.12+ sys.monitoring, with a free tool id (PROFILER_ID first,
then 3, 4, OPTIMIZER_ID, COVERAGE_ID, DEBUGGER_ID; settrace when none is
free): LINE, PY_START, PY_RESUME, PY_RETURN and PY_YIELD as local events of
the profiled code objects only, PY_UNWIND and PY_THROW globally while a
profile runs; the tool id is freed when the last profile ends. Before 3.12
(or backend="settrace") sys.settrace on the calling thread, chained with the
trace function already set (coverage, a debugger): it keeps receiving all its
events and is set back afterwards. Callees are never traced line by line.
Each event reads the thread's counters (mtrace_thread_traced) and gives the
change since the previous event to the line that was running. The profiler's
own allocations do not count: each handler reads the counters first and last
and the time between is taken out (what the interpreter allocates to call a
handler is measured once and taken out too); lines that allocate nothing
show 0, within a few dozen bytes at a function's first and last line.
A tracer chained by settrace runs inside the profiler's window in the
profiled function's own events (not counted), elsewhere its allocations
count on the line running; sys.monitoring tools' count where they run.

Cost: a handler costs five small allocations, which the shim traces (a few
microseconds per line event of the profiled function on 3.12+, nothing in
its callees). settrace (3.11) also calls a trace function on every call the
profiled function makes, however deep: 3-30x on a function spending its time
in small callees (memory_profiler: the same, plus reading RSS per line).

Semantics:
- Threads: a profile counts the events of the thread that called the
  function; a call on another thread makes its own table.
- Recursion: a call made while the same profiled function runs on the thread
  joins that call's table (the nested call's lines count their occurrences
  and increments there, and the calling line includes the whole nested call,
  so increments add up to more than the total); one table is printed, when
  the outermost call returns. memory_profiler prints one per call, the
  innermost first, its last one (the outermost call's) like ours.
- Generators, coroutines, async generators: one table per object (a nested
  one created while the function runs joins it), printed when it is
  exhausted, raises, or is closed or collected; the time it spends suspended
  (the consumer's code, other tasks) does not count, and each resume
  continues the line it stopped on. (memory_profiler profiles coroutines,
  not generators.)
- Exceptions: the line that raised gets its figures, and the table is
  printed before the exception leaves the function.
- Comprehensions (3.11), nested functions and lambdas are callees: they count
  on the line that runs them.
- A generator resumed on another thread counts that thread's allocations
  while it runs there; with settrace (3.11) it is not seen there at all.
- The package exports what this module defines (mtrace.profile is the
  decorator); the module itself is private.
"""
import ast
import collections
import ctypes
import functools
import inspect
import json as _json
import linecache
import sys
import threading
import weakref

from . import NotLoadedError, _lib

__all__ = ["profile", "profile_block", "ProfileError", "ProfileResult", "LineStats"]

_MIB = float(1 << 20)
_FORMATS = ("table", "json", None)


class ProfileError(RuntimeError):
    """The profile cannot run: the tracer samples, or is too old."""


ProfileError.__module__ = "mtrace"   # tracebacks name it as users import it


LineStats = collections.namedtuple(
    "LineStats", "lineno mem_usage increment occurrences allocated contents")
LineStats.__doc__ = """One source line of a profile: figures in bytes, None where
the line did not run."""


# ---- the tracer's counters ------------------------------------------------------
_api = None


def _check_api():
    """The shim's counters, once: NotLoadedError without the shim (or one
    older than 0.3), ProfileError when it samples."""
    global _api
    if _api is not None:
        return _api
    try:
        lib = _lib()
    except NotLoadedError as e:
        raise NotLoadedError("mtrace.profile: %s" % (e,)) from None
    if lib.mtrace_version() < 0x000300 or not hasattr(lib, "mtrace_thread_traced"):
        v = lib.mtrace_version()
        raise NotLoadedError("mtrace.profile needs the mtrace shim 0.3 or later (per-thread "
                             "counters); this one is %d.%d.%d" % (v >> 16, (v >> 8) & 0xFF, v & 0xFF))
    lib.mtrace_sample_bytes.restype = ctypes.c_size_t
    lib.mtrace_sample_bytes.argtypes = []
    rate = lib.mtrace_sample_bytes()
    if rate:
        raise ProfileError(
            "mtrace.profile needs exact figures, but the tracer samples allocations "
            "(MTRACE_SAMPLE_BYTES=%d): run the program without MTRACE_SAMPLE_BYTES" % rate)
    # Own function pointers without argument types, called with prebuilt
    # byref() arguments: a call converts nothing and allocates nothing.
    tt = ctypes.CFUNCTYPE(None)(ctypes.cast(lib.mtrace_thread_traced, ctypes.c_void_p).value)
    gt = ctypes.CFUNCTYPE(None)(ctypes.cast(lib.mtrace_get_traced, ctypes.c_void_p).value)
    _api = (tt, gt)
    return _api


class _Thread(threading.local):
    ts = None


_tls = _Thread()


class _ThreadState:
    """Per thread: the stacks of running profiled invocations (per code
    object) and the counter buffers.

    The clock (cc, ca) is the thread's counters (current, allocated) minus
    what the profiler itself allocated: each event handler reads the
    counters first (buffers a*) and last (b*), and the clock advances by the
    gap between the previous handler's last read and this one's first. Each
    read of a counter makes a Python int, and under the shim every
    allocation is traced (about a microsecond each): the arithmetic runs on
    floats (a free list, no allocation; exact below 2**53), so that an event
    costs five small allocations (four counters and the heap)."""
    __slots__ = ("tt", "gt", "a0", "a1", "b0", "b1", "h", "ra", "rb", "rh", "cc", "ca",
                 "kc", "ka", "line_int", "st_line_int", "depth", "frozen", "stacks", "starting", "owned",
                 "prev_trace", "installed", "ident", "__weakref__")

    def __init__(self, api):
        self.tt, self.gt = api
        self.a0, self.a1 = ctypes.c_int64(), ctypes.c_uint64()
        self.b0, self.b1 = ctypes.c_int64(), ctypes.c_uint64()
        self.h = ctypes.c_size_t()
        self.ra = (ctypes.byref(self.a0), ctypes.byref(self.a1))
        self.rb = (ctypes.byref(self.b0), ctypes.byref(self.b1))
        self.rh = ctypes.byref(self.h)
        # What falls between a handler's last read and the next one's first
        # besides the program's work: the interpreter calling the handler
        # (nothing) and the two ctypes calls' sides (nothing without
        # argument types); measured on back-to-back reads all the same.
        kc = ka = None
        for _ in range(3):
            self.tt(*self.ra)
            self.tt(*self.rb)
            dc, da = self.b0.value - self.a0.value, self.b1.value - self.a1.value
            if ka is None or da < ka:
                kc, ka = dc, da
        self.kc, self.ka = float(kc), float(ka)
        self.line_int = float(_line_int_bytes(self))
        self.st_line_int = float(_settrace_line_int_bytes(self))
        self.cc = self.ca = 0.0
        self.depth = 0
        self.frozen = (0.0, 0.0)
        self.stacks = {}          # code -> [entry]
        self.starting = {}        # code -> session the next call of code joins
        self.owned = 0            # sessions opened on this thread and not finished
        self.prev_trace = None    # settrace: the trace function we chain to
        self.installed = False
        self.ident = threading.get_ident()
        self.tt(*self.rb)

    def begin(self, extra=0.0, kept=0.0):
        """Reads the counters (the start of the profiler's own work); returns
        the clock. `extra`: bytes the interpreter allocated for the event
        before calling the handler, `kept`: those of them the profiler keeps
        (freed later, in one of its windows). Nested windows (an event while
        the profiler runs a callback or writes a table) see the clock
        stopped."""
        if self.depth:
            self.depth += 1
            return self.frozen
        self.depth = 1
        a0, a1 = self.ra
        self.tt(a0, a1)
        self.gt(self.rh, None)
        c = self.cc = self.cc + ((self.a0.value - self.kc - kept) - self.b0.value)
        a = self.ca = self.ca + ((self.a1.value - self.ka - extra) - self.b1.value)
        f = self.frozen = (c, a)
        return f

    def end(self):
        self.depth -= 1
        if not self.depth:
            b0, b1 = self.rb
            self.tt(b0, b1)


_line_int = None


def _line_int_bytes(ts):
    """sys.monitoring hands a LINE handler its line as a new int object when
    it is over 256 (not cached); the bytes that allocates, measured once on
    a real event (28 or 32 depending on the version), 0 without monitoring."""
    global _line_int
    if _line_int is not None:
        return _line_int
    _line_int = 0
    m = getattr(sys, "monitoring", None)
    if m is None:
        return 0
    ns = {}
    exec(compile("\n" * 299 + "def f(read):\n    read()\n    return 0\n", "<mtrace-calibration>",
                 "exec"), ns)
    f = ns["f"]
    tool = next((t for t in range(6) if m.get_tool(t) is None), None)
    if tool is None:
        return 0
    seen = []

    def line(code, n):
        ts.tt(*ts.rb)
        seen.append(n)
    m.use_tool_id(tool, "mtrace.profile calibration")
    try:
        m.register_callback(tool, m.events.LINE, line)
        m.set_local_events(tool, f.__code__, m.events.LINE)
        f(lambda: ts.tt(*ts.ra))
        m.set_local_events(tool, f.__code__, 0)
        m.register_callback(tool, m.events.LINE, None)
    finally:
        m.free_tool_id(tool)
    if seen == [301, 302]:
        _line_int = max(ts.b1.value - ts.a1.value - ts.ka, 0)
    return _line_int


_st_line_int = None


def _settrace_line_int_bytes(ts):
    """The same for a settrace 'line' event: on 3.12 (settrace runs on
    sys.monitoring) the line's int is made before the trace function runs,
    3.11 and 3.13 make none; measured once on a real event."""
    global _st_line_int
    if _st_line_int is not None:
        return _st_line_int
    _st_line_int = 0
    if not hasattr(sys, "monitoring"):
        return 0
    ns = {}
    exec(compile("\n" * 299 + "def f(read):\n    read()\n    return 0\n", "<mtrace-calibration>",
                 "exec"), ns)
    f = ns["f"]
    seen = []

    def local(frame, event, arg):
        if event == "line":
            ts.tt(*ts.rb)
            seen.append(frame.f_lineno)
        return local

    def trace(frame, event, arg):
        return local if frame.f_code is f.__code__ else None
    prev = sys.gettrace()
    sys.settrace(trace)
    try:
        f(lambda: ts.tt(*ts.ra))
    finally:
        sys.settrace(prev)
    if seen == [301, 302]:
        _st_line_int = max(ts.b1.value - ts.a1.value - ts.ka, 0)
    return _st_line_int


def _thread_state():
    ts = _tls.ts
    if ts is None:
        ts = _tls.ts = _ThreadState(_check_api())
    return ts


# ---- sessions: one table ----------------------------------------------------------
class _Session:
    __slots__ = ("code", "rows", "pending", "opts", "owner", "done", "block_lines", "wrapper",
                 "result", "backend")

    def __init__(self, code, opts, owner, block_lines=None, wrapper=None):
        self.code = code
        self.rows = {}            # line -> [occurrences, increment, allocated, mem usage]
        self.pending = 0          # invocations (calls, generator objects) not finished
        self.opts = opts
        self.owner = owner        # the _ThreadState that opened it
        self.done = False
        self.block_lines = block_lines
        self.wrapper = wrapper
        self.result = None
        self.backend = None       # _mon or _st, from _acquire

    def release(self):
        """One invocation finished: the last one prints the table."""
        self.pending -= 1
        if self.pending > 0 or self.done:
            return
        self.done = True
        owner = self.owner
        owner.owned -= 1
        self.backend.release(self.code, owner)
        _emit(self)


def _new_row(rows, line):
    r = rows[line] = [0.0, 0.0, 0.0, -1]     # floats: see _ThreadState
    return r


# An entry (a list, for speed) per running invocation of a profiled code:
# [session or None, frame, line running, clock at its start (current, allocated)].
def _credit(e, c, a, heap):
    s = e[0]
    if s is None:
        return
    r = s.rows.get(e[2])
    if r is None:
        r = _new_row(s.rows, e[2])
    r[1] += c - e[3]
    r[2] += a - e[4]
    if heap > r[3]:
        r[3] = heap
    e[3] = c
    e[4] = a


def _start_line(e, line):
    e[2] = line
    s = e[0]
    if s is not None:
        r = s.rows.get(line)
        if r is None:
            r = _new_row(s.rows, line)
        r[0] += 1.0


_gen_sessions = {}      # frame of a generator not started yet -> session
_suspended = {}         # frame of a suspended generator -> its entry


def _on_start(ts, code, frame, c, a):
    """A frame of a profiled code starts (or resumes, unseen so far)."""
    s = ts.starting.pop(code, None)
    gen = False
    if s is None:
        s = _gen_sessions.pop(frame, None)
        gen = s is not None
    e = [s, frame, code.co_firstlineno, c, a, gen]
    stack = ts.stacks.get(code)
    if stack is None:
        stack = ts.stacks[code] = []
    stack.append(e)
    _start_line(e, code.co_firstlineno)


def _on_resume(ts, code, frame, c, a):
    e = _suspended.pop(frame, None)
    if e is None:
        _on_start(ts, code, frame, c, a)
        return
    e[3], e[4] = c, a
    stack = ts.stacks.get(code)
    if stack is None:
        stack = ts.stacks[code] = []
    stack.append(e)


def _on_line(ts, code, line, c, a):
    """_credit and _start_line in one (the most frequent event)."""
    stack = ts.stacks.get(code)
    if stack:
        e = stack[-1]
        s = e[0]
        if s is None:
            e[2] = line
            return
        rows = s.rows
        r = rows.get(e[2])
        if r is None:
            r = _new_row(rows, e[2])
        r[1] += c - e[3]
        r[2] += a - e[4]
        heap = ts.h.value
        if heap > r[3]:
            r[3] = heap
        e[2], e[3], e[4] = line, c, a
        r = rows.get(line)
        if r is None:
            r = _new_row(rows, line)
        r[0] += 1.0


def _on_exit(ts, code, frame, c, a, yielded):
    stack = ts.stacks.get(code)
    if not stack or stack[-1][1] is not frame:
        return
    e = stack.pop()
    _credit(e, c, a, ts.h.value)
    if yielded:
        _suspended[frame] = e
    elif e[5]:
        e[5] = False
        e[0].release()


def _frame_gone(session, frame):
    """weakref callback: a generator object died (closed or collected) with
    no final event (3.13 closes a generator suspended outside a try without
    running it)."""
    ts = _tls.ts
    if ts is not None:
        ts.begin()                  # the table is the profiler's own work
    try:
        e = _suspended.pop(frame, None)
        if e is not None and e[5]:
            e[5] = False
            session.release()
        elif e is None and _gen_sessions.pop(frame, None) is session:
            session.release()
    finally:
        if ts is not None:
            ts.end()


def _register_gen(ts, code, obj, frame, s):
    """A generator, coroutine or async generator object of the profiled code:
    its events join session s."""
    s.pending += 1
    _gen_sessions[frame] = s
    weakref.finalize(obj, _frame_gone, s, frame)


# ---- backends ---------------------------------------------------------------------
def _report_internal(exc):
    global _internal_reported
    if not _internal_reported:
        _internal_reported = True
        try:
            sys.stderr.write("mtrace.profile: internal error in an event handler, figures may be "
                             "off: %r\n" % (exc,))
        except Exception:
            pass


_internal_reported = False


class _Monitoring:
    """Python 3.12+: sys.monitoring with local events on the profiled codes."""
    name = "monitoring"

    def __init__(self):
        self.tool = None
        self.codes = {}           # code -> number of sessions

    def _acquire_tool(self):
        m = sys.monitoring
        for tool in (m.PROFILER_ID, 3, 4, m.OPTIMIZER_ID, m.COVERAGE_ID, m.DEBUGGER_ID):
            try:
                m.use_tool_id(tool, "mtrace.profile")
            except ValueError:
                continue
            E = m.events
            m.register_callback(tool, E.PY_START, _mon_start)
            m.register_callback(tool, E.PY_RESUME, _mon_resume)
            m.register_callback(tool, E.PY_THROW, _mon_throw)
            m.register_callback(tool, E.LINE, _mon_line)
            m.register_callback(tool, E.PY_RETURN, _mon_return)
            m.register_callback(tool, E.PY_YIELD, _mon_yield)
            m.register_callback(tool, E.PY_UNWIND, _mon_unwind)
            m.set_events(tool, E.PY_UNWIND | E.PY_THROW)
            self.tool = tool
            return True
        return False

    def acquire(self, code, ts):
        if self.tool is None and not self._acquire_tool():
            return False
        n = self.codes.get(code, 0)
        if n == 0:
            E = sys.monitoring.events
            sys.monitoring.set_local_events(self.tool, code, E.LINE | E.PY_START | E.PY_RESUME
                                            | E.PY_RETURN | E.PY_YIELD)
        self.codes[code] = n + 1
        return True

    def release(self, code, ts):
        n = self.codes.get(code, 0) - 1
        if n > 0:
            self.codes[code] = n
            return
        self.codes.pop(code, None)
        m = sys.monitoring
        if self.tool is None:
            return
        m.set_local_events(self.tool, code, 0)
        if not self.codes:
            for ev in (m.events.PY_START, m.events.PY_RESUME, m.events.PY_THROW, m.events.LINE,
                       m.events.PY_RETURN, m.events.PY_YIELD, m.events.PY_UNWIND):
                m.register_callback(self.tool, ev, None)
            m.set_events(self.tool, 0)
            m.free_tool_id(self.tool)
            self.tool = None


def _adopt(frame):
    """A thread without profiles resumes a profiled generator: it gets its
    counters from now on (None when the frame is not one of ours)."""
    if frame not in _suspended and frame not in _gen_sessions:
        return None
    try:
        return _thread_state()
    except Exception:
        return None


def _mon_entry_handler(on_entry):
    """PY_START and PY_RESUME handlers: the same but for what they call."""
    def handler(code, offset):
        ts = _tls.ts
        if ts is None and (ts := _adopt(sys._getframe(1))) is None:
            return
        c, a = ts.begin()
        try:
            on_entry(ts, code, sys._getframe(1), c, a)
        except Exception as exc:
            _report_internal(exc)
        finally:
            ts.end()
    return handler


_mon_start = _mon_entry_handler(_on_start)
_mon_resume = _mon_entry_handler(_on_resume)


def _mon_throw(code, offset, thrown):
    if code not in _mon.codes:
        return
    ts = _tls.ts
    if ts is None and (ts := _adopt(sys._getframe(1))) is None:
        return
    c, a = ts.begin()
    try:
        _on_resume(ts, code, sys._getframe(1), c, a)
    except Exception as exc:
        _report_internal(exc)
    finally:
        ts.end()


def _mon_line(code, line):
    ts = _tls.ts
    if ts is None:
        return
    if line > 256:
        # The int object was allocated for this call, and the entry keeps it
        # (it is freed when the next event replaces it, in a window): the
        # profiler's.
        li = ts.line_int
        c, a = ts.begin(li, li)
    else:
        c, a = ts.begin()
    try:
        _on_line(ts, code, line, c, a)
    except Exception as exc:
        _report_internal(exc)
    finally:
        ts.end()


def _mon_exit_handler(yielded):
    """PY_RETURN and PY_YIELD handlers: the same but for the flag."""
    def handler(code, offset, value):
        ts = _tls.ts
        if ts is None:
            return
        c, a = ts.begin()
        try:
            _on_exit(ts, code, sys._getframe(1), c, a, yielded)
        except Exception as exc:
            _report_internal(exc)
        finally:
            ts.end()
    return handler


_mon_return = _mon_exit_handler(False)
_mon_yield = _mon_exit_handler(True)


def _mon_unwind(code, offset, raised):
    ts = _tls.ts
    if ts is None or code not in _mon.codes:
        return
    c, a = ts.begin()
    try:
        _on_exit(ts, code, sys._getframe(1), c, a, False)
    except Exception as exc:
        _report_internal(exc)
    finally:
        ts.end()


_mon = _Monitoring() if hasattr(sys, "monitoring") else None


class _Settrace:
    """sys.settrace (per thread), chained with the trace function already set."""
    name = "settrace"

    def __init__(self):
        self.codes = {}

    def acquire(self, code, ts):
        self.codes[code] = self.codes.get(code, 0) + 1
        if not ts.installed:
            prev = sys.gettrace()
            ts.prev_trace = prev
            ts.installed = True
            sys.settrace(_st_global)
        return True

    def release(self, code, ts):
        n = self.codes.get(code, 0) - 1
        if n > 0:
            self.codes[code] = n
        else:
            self.codes.pop(code, None)
        if ts.owned == 0 and ts.installed and _tls.ts is ts:
            _st_uninstall(ts)


def _st_uninstall(ts):
    ts.installed = False
    if sys.gettrace() is _st_global:
        sys.settrace(ts.prev_trace)
    ts.prev_trace = None


def _st_global(frame, event, arg):
    """The thread's trace function: sees every call."""
    ts = _tls.ts
    prev = ts.prev_trace if ts is not None else None
    code = frame.f_code
    if ts is None or code not in _st.codes:
        if ts is not None and ts.owned == 0 and ts.installed:
            _st_uninstall(ts)
        return prev(frame, event, arg) if prev is not None else None
    c, a = ts.begin()
    try:
        try:
            _on_resume(ts, code, frame, c, a)
            frame.f_trace_lines = True
        except Exception as exc:
            _report_internal(exc)
        # The chained tracer's exceptions (a debugger quitting) go through.
        return _st_local(prev(frame, event, arg) if prev is not None else None)
    finally:
        ts.end()


_YIELD = __import__("dis").opmap["YIELD_VALUE"]
_RESUME = __import__("dis").opmap.get("RESUME", -1)


def _at_yield(frame):
    """A 'return' event of a generator frame is a yield: f_lasti is on the
    YIELD_VALUE (3.11, 3.12) or on the RESUME after it, whose argument says
    where it resumes from (3.13: 0 at the start, else a yield or await)."""
    i = frame.f_lasti
    if i < 0:
        return False
    co = frame.f_code.co_code
    op = co[i]
    return op == _YIELD or (op == _RESUME and co[i + 1] != 0)


def _st_local(prev):
    """The local trace function of a profiled frame, chained with prev's."""
    raised = [False]

    def local(frame, event, arg):
        nonlocal prev
        ts = _tls.ts
        if ts is None:
            return None
        c, a = ts.begin()
        try:
            try:
                if event == "line":
                    raised[0] = False
                    line = frame.f_lineno
                    if line > 256 and ts.st_line_int and ts.depth == 1:
                        # 3.12: settrace runs on sys.monitoring, whose LINE
                        # event made the line's int before calling us.
                        a = ts.ca = a - ts.st_line_int
                        ts.frozen = (c, a)
                    _on_line(ts, frame.f_code, line, c, a)
                elif event == "return":
                    code = frame.f_code
                    yielded = not raised[0] and _at_yield(frame)
                    raised[0] = False
                    _on_exit(ts, code, frame, c, a, yielded)
                elif event == "exception":
                    raised[0] = True
            except Exception as exc:
                _report_internal(exc)
            if prev is not None:            # its exceptions go through
                prev = prev(frame, event, arg)
        finally:
            ts.end()
        return local
    return local


_st = _Settrace()


def _pick_backend(name):
    if name is None:
        name = "monitoring" if _mon is not None else "settrace"
    if name == "monitoring":
        if _mon is None:
            raise ValueError("mtrace.profile: backend 'monitoring' needs Python 3.12 or later")
        return _mon
    if name == "settrace":
        return _st
    raise ValueError("mtrace.profile: backend must be None, 'monitoring' or 'settrace', not %r"
                     % (name,))


def _acquire(session, ts):
    """Events for the session's code, from the backend its options ask for
    (settrace when sys.monitoring has no free tool id)."""
    backend = _pick_backend(session.opts["backend"])
    if not backend.acquire(session.code, ts):
        backend = _st
        backend.acquire(session.code, ts)
    session.backend = backend
    return backend


# ---- output -----------------------------------------------------------------------
class ProfileResult:
    """One profile: `lines` holds a LineStats per source line of the function
    (or with block), figures in bytes and None where the line did not run;
    result[lineno] is that line's LineStats."""

    def __init__(self, filename, function, first_line, lines, thread):
        self.filename = filename
        self.function = function
        self.first_line = first_line
        self.lines = lines
        self.thread = thread

    def __getitem__(self, lineno):
        for ls in self.lines:
            if ls.lineno == lineno:
                return ls
        raise KeyError(lineno)

    def __repr__(self):
        return "<ProfileResult %s %s:%d, %d lines>" % (self.function, self.filename,
                                                       self.first_line, len(self.lines))

    def table(self, precision=1):
        """memory_profiler's table, with the Allocated column."""
        template = "{0:>6} {1:>12} {2:>12}  {3:>10} {4:>12}   {5:<}"
        header = template.format("Line #", "Mem usage", "Increment", "Occurrences", "Allocated",
                                 "Line Contents")
        mem = "{0:%d.%df} MiB" % (precision + 4, precision)
        out = ["Filename: " + self.filename + "\n\n", header + "\n", "=" * len(header) + "\n"]
        for ls in self.lines:
            text = ls.contents if ls.contents.endswith("\n") else ls.contents + "\n"
            if ls.occurrences:
                out.append(template.format(ls.lineno, mem.format(ls.mem_usage / _MIB),
                                           mem.format(ls.increment / _MIB), ls.occurrences,
                                           mem.format(ls.allocated / _MIB), text))
            else:
                out.append(template.format(ls.lineno, "", "", "", "", text))
        out.append("\n\n")
        return "".join(out)

    def to_dict(self):
        return {"filename": self.filename, "function": self.function,
                "first_line": self.first_line, "thread": self.thread, "unit": "B",
                "lines": [{"lineno": ls.lineno, "mem_usage": ls.mem_usage,
                           "increment": ls.increment, "occurrences": ls.occurrences,
                           "allocated": ls.allocated, "contents": ls.contents.rstrip("\n")}
                          for ls in self.lines]}

    def json(self):
        return _json.dumps(self.to_dict())


def _source_lines(session):
    code = session.code
    filename = code.co_filename
    if session.block_lines is not None:
        first, last = session.block_lines
    else:
        try:
            src, first = inspect.getsourcelines(code)
            last = first + len(src) - 1
            if first == 0:                  # a module
                first = 1
        except (OSError, TypeError):
            first = last = None
        if first is None or (session.rows and max(session.rows) > last):
            seen = sorted(session.rows) or [code.co_firstlineno]
            first, last = min(seen[0], first or seen[0]), max(seen[-1], last or seen[-1])
    all_lines = linecache.getlines(filename)
    return filename, first, [(n, all_lines[n - 1] if n - 1 < len(all_lines) else "")
                             for n in range(first, last + 1)]


def _result(session):
    filename, first, src = _source_lines(session)
    lines = []
    rows = session.rows
    for n, text in src:
        r = rows.get(n)
        if r is None or r[0] == 0:
            lines.append(LineStats(n, None, None, None, None, text))
        else:
            lines.append(LineStats(n, max(r[3], 0), int(r[1]), int(r[0]), int(r[2]), text))
    return ProfileResult(filename, session.code.co_qualname if hasattr(session.code, "co_qualname")
                         else session.code.co_name, first, lines, session.owner.ident)


def _emit(session):
    res = session.result = _result(session)
    opts = session.opts
    if session.wrapper is not None:
        session.wrapper.last_result = res
    if opts["callback"] is not None:
        opts["callback"](res)
    fmt = opts["format"]
    if fmt is None:
        return res
    stream = opts["stream"] if opts["stream"] is not None else sys.stdout
    stream.write(res.table(opts["precision"]) if fmt == "table" else res.json() + "\n")
    return res


# ---- the public API ---------------------------------------------------------------
def _options(stream, precision, format, backend, callback):
    if format not in _FORMATS:
        raise ValueError("mtrace.profile: format must be 'table', 'json' or None, not %r" % (format,))
    if not isinstance(precision, int) or precision < 0:
        raise ValueError("mtrace.profile: precision must be a non-negative int")
    _pick_backend(backend)
    return {"stream": stream, "precision": precision, "format": format, "backend": backend,
            "callback": callback}


def _running_session(ts, code):
    """The session of the innermost running invocation of code on this
    thread (a recursive call joins it), or None."""
    stack = ts.stacks.get(code)
    if stack:
        return stack[-1][0]
    return None


def _open(ts, code, opts, wrapper):
    s = _Session(code, opts, ts, wrapper=wrapper)
    ts.owned += 1
    _acquire(s, ts)
    return s


def profile(func=None, stream=None, precision=1, backend=None, *, format="table", callback=None):
    """Decorator: prints a line-by-line heap profile of func each time a call
    of it returns (see the module's documentation). Used bare (@profile) or
    with options (@profile(stream=f, precision=2, format="json"))."""
    opts = _options(stream, precision, format, backend, callback)
    if func is None:
        return lambda f: profile(f, stream, precision, backend, format=format, callback=callback)
    code = getattr(func, "__code__", None)
    if not isinstance(code, type(profile.__code__)):
        raise TypeError("mtrace.profile: %r is not a Python function" % (func,))

    def start(ts):
        """The session this call belongs to (new or the running one)."""
        s = _running_session(ts, code)
        if s is None or s.done:
            s = _open(ts, code, opts, wrapper)
        s.pending += 1
        return s

    def finish(ts, s):
        ts.begin()                          # the table is the profiler's own work
        try:
            ts.starting.pop(code, None)
            s.release()
        finally:
            ts.end()

    if code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR):
        def make(args, kwargs):
            ts = _thread_state()
            ts.begin()
            try:
                s = start(ts)
            finally:
                ts.end()
            try:
                obj = func(*args, **kwargs)
                ts.begin()
                try:
                    frame = getattr(obj, "gi_frame", None) or getattr(obj, "cr_frame", None) \
                        or getattr(obj, "ag_frame", None)
                    if frame is not None:
                        _register_gen(ts, code, obj, frame, s)
                finally:
                    ts.end()
            finally:
                finish(ts, s)               # the call itself is done
            return obj

        if code.co_flags & inspect.CO_GENERATOR:
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                return (yield from make(args, kwargs))
        elif code.co_flags & inspect.CO_COROUTINE:
            @functools.wraps(func)
            async def wrapper(*args, **kwargs):
                return await make(args, kwargs)
        else:
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                return make(args, kwargs)
    else:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            ts = _thread_state()
            ts.begin()
            try:
                s = start(ts)
                ts.starting[code] = s
            finally:
                ts.end()
            try:
                return func(*args, **kwargs)
            finally:
                finish(ts, s)
    wrapper.last_result = None
    return wrapper


def _with_lines(frame):
    """(first, last) lines of the with statement running at frame's line."""
    line = frame.f_lineno
    try:
        tree = ast.parse("".join(linecache.getlines(frame.f_code.co_filename)))
    except (SyntaxError, ValueError):
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)) and node.lineno <= line <= node.end_lineno:
            if best is None or node.lineno >= best.lineno:
                best = node
    return (best.lineno, best.end_lineno) if best is not None else None


class profile_block:
    """Context manager: a line-by-line heap profile of the lines run inside
    the with block, printed when it ends (options as for profile); the
    ProfileResult is then in `.result`."""

    def __init__(self, stream=None, precision=1, backend=None, *, format="table", callback=None):
        self.opts = _options(stream, precision, format, backend, callback)
        self.result = None
        self._session = None

    def __enter__(self):
        ts = _thread_state()
        frame = sys._getframe(1)
        code = frame.f_code
        lines = _with_lines(frame)
        s = _Session(code, self.opts, ts, block_lines=lines)
        s.pending = 1
        ts.owned += 1
        backend = _acquire(s, ts)
        self._session, self._frame, self._ts = s, frame, ts
        c, a = ts.begin()
        try:
            e = [s, frame, frame.f_lineno, c, a, False]
            ts.stacks.setdefault(code, []).append(e)
            _start_line(e, frame.f_lineno)
            if backend is _st:
                frame.f_trace_lines = True
                self._prev_local = frame.f_trace
                frame.f_trace = _st_local(frame.f_trace)
        finally:
            ts.end()
        return self

    def __exit__(self, *exc):
        ts, s, frame = self._ts, self._session, self._frame
        code = s.code
        c, a = ts.begin()
        try:
            stack = ts.stacks.get(code) or []
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] is s:
                    e = stack.pop(i)
                    _credit(e, c, a, ts.h.value)
                    break
            if hasattr(self, "_prev_local"):
                frame.f_trace = self._prev_local
            self._frame = None
            s.release()
        finally:
            ts.end()
        self.result = s.result
        return False
