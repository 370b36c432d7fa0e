"""Talk to the mtrace heap tracer from Python code.

The tracer is the preloaded library (``LD_PRELOAD=libmtrace.so python3 app.py``
or ``mtrace-run -- python3 app.py``); this module is a thin ctypes layer over
its C API (include/mtrace.h) and mirrors tracemalloc's module functions::

    import mtrace
    before = mtrace.take_snapshot()          # path of the snapshot file written
    work()
    after = mtrace.take_snapshot()
    current, peak = mtrace.get_traced_memory()
    mtrace.reset_peak()
    m = mtrace.mark()                        # a generation mark
    work()
    leaked, blocks = mtrace.live_since(m)    # allocated since, still live
    mtrace.mark("load done")                 # also a label on the memory timeline

    @mtrace.profile                          # a line-by-line table when it returns,
    def work(): ...                          # like memory_profiler (mtrace.profile)
    with mtrace.profile_block(): ...

    $ mtrace-report diff BEFORE AFTER        # what grew, by Python line

Unlike tracemalloc, the tracer sees every allocation of the process (C
extensions and libraries included) and snapshots are files that the
``mtrace-report`` tool reads. Without the tracer every function raises
NotLoadedError; ``is_tracing()`` tells first.

``mtrace.pytest_plugin`` is a pytest plugin gating tests on memory, like
pytest-memray: ``pytest -p mtrace.pytest_plugin --mtrace`` under the shim.
"""
import ctypes

__all__ = ["NotLoadedError", "is_tracing", "version", "take_snapshot",
           "get_traced_memory", "reset_peak", "mark", "live_since", "label",
           "thread_traced", "profile", "profile_block", "ProfileError", "ProfileResult",
           "LineStats"]

_PATH_MAX = 4096
_loaded = None


class NotLoadedError(RuntimeError):
    """The mtrace shim is not loaded into this process."""


def _lib():
    global _loaded
    if _loaded is not None:
        return _loaded
    try:
        lib = ctypes.CDLL(None)
        fn = lib.mtrace_version
    except (OSError, AttributeError):
        raise NotLoadedError(
            "mtrace is not tracing this process: run it under "
            "LD_PRELOAD=/path/to/libmtrace.so (or mtrace-run -- python3 ...)") from None
    fn.restype = ctypes.c_uint
    fn.argtypes = []
    lib.mtrace_snapshot.restype = ctypes.c_int
    lib.mtrace_snapshot.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.mtrace_get_traced.restype = None
    lib.mtrace_get_traced.argtypes = [ctypes.POINTER(ctypes.c_size_t)] * 2
    lib.mtrace_reset_peak.restype = None
    lib.mtrace_reset_peak.argtypes = []
    if fn() >= 0x000200:                     # 0.2: generations
        lib.mtrace_mark.restype = ctypes.c_uint64
        lib.mtrace_mark.argtypes = []
        lib.mtrace_live_since.restype = ctypes.c_int
        lib.mtrace_live_since.argtypes = [ctypes.c_uint64] + [ctypes.POINTER(ctypes.c_size_t)] * 2
    if fn() >= 0x000300 and hasattr(lib, "mtrace_thread_traced"):   # 0.3: per thread, labels
        lib.mtrace_thread_traced.restype = None
        lib.mtrace_thread_traced.argtypes = [ctypes.POINTER(ctypes.c_int64),
                                             ctypes.POINTER(ctypes.c_uint64)]
        lib.mtrace_label.restype = ctypes.c_int
        lib.mtrace_label.argtypes = [ctypes.c_char_p]
        lib.mtrace_sample_bytes.restype = ctypes.c_size_t
        lib.mtrace_sample_bytes.argtypes = []
    _loaded = lib
    return lib


def is_tracing():
    """True when the mtrace shim is loaded into this process."""
    try:
        _lib()
        return True
    except NotLoadedError:
        return False


def version():
    """The loaded shim's version as (major, minor, patch)."""
    v = _lib().mtrace_version()
    return (v >> 16, (v >> 8) & 0xFF, v & 0xFF)


def take_snapshot():
    """Writes a snapshot now (named by MTRACE_OUT) and returns its path.

    Raises OSError when the file could not be written (the tracer also says
    why on stderr) and NotLoadedError without the tracer."""
    buf = ctypes.create_string_buffer(_PATH_MAX)
    if _lib().mtrace_snapshot(buf, _PATH_MAX) != 0:
        raise OSError("mtrace: the snapshot could not be written (see stderr)")
    return buf.value.decode("utf-8", "surrogateescape")


def get_traced_memory():
    """(current, peak): traced heap bytes live now and at the peak."""
    cur, peak = ctypes.c_size_t(0), ctypes.c_size_t(0)
    _lib().mtrace_get_traced(ctypes.byref(cur), ctypes.byref(peak))
    return cur.value, peak.value


def reset_peak():
    """Makes the peak the current traced size, like tracemalloc.reset_peak()."""
    _lib().mtrace_reset_peak()


def _generations():
    lib = _lib()
    if lib.mtrace_version() < 0x000200:
        raise NotLoadedError("the loaded mtrace shim (%d.%d.%d) predates mark()/live_since(): "
                             "0.2 or later needed" % version())
    return lib


def _v03(what):
    lib = _lib()
    if lib.mtrace_version() < 0x000300 or not hasattr(lib, "mtrace_thread_traced"):
        raise NotLoadedError("the loaded mtrace shim (%d.%d.%d) predates %s: 0.3 or later "
                             "needed" % (version() + (what,)))
    return lib


def mark(label=None):
    """Starts a new allocation generation and returns its id: live_since(id)
    then tells what was allocated after this call and is still live.
    mark("phase") also puts the label on the memory timeline (label())."""
    if label is not None:
        _label(label)
    return _generations().mtrace_mark()


def _label(text):
    if isinstance(text, str):
        text = text.encode("utf-8", "surrogateescape")
    return _v03("labels").mtrace_label(text) == 0


def label(text):
    """Puts a label on the memory timeline (`mtrace-report timeline` shows
    it; 63 bytes kept). False when the tracer's label table is full."""
    return _label(text)


def thread_traced():
    """(current, allocated): the calling thread's bytes allocated minus
    freed (negative when it frees blocks other threads allocated) and bytes
    allocated in total, since it started."""
    cur, alloc = ctypes.c_int64(0), ctypes.c_uint64(0)
    _v03("per-thread counters").mtrace_thread_traced(ctypes.byref(cur), ctypes.byref(alloc))
    return cur.value, alloc.value


def live_since(mark_id):
    """(bytes, blocks) allocated since mark(mark_id) returned and still live.

    mark_id 0 counts every live traced block. Raises ValueError for an id
    the tracer does not know (never returned, or more than 16383 marks old).
    Walks the tracer's whole live map: milliseconds, not for a hot loop."""
    b, n = ctypes.c_size_t(0), ctypes.c_size_t(0)
    if _generations().mtrace_live_since(mark_id, ctypes.byref(b), ctypes.byref(n)) != 0:
        raise ValueError("mtrace: unknown or expired mark %r" % (mark_id,))
    return b.value, n.value


from ._profile import profile, profile_block, ProfileError, ProfileResult, LineStats  # noqa: E402
