"""Cases of @mtrace.profile (test_python_profile.py). `profile_cases.py
[BACKEND]` runs them all and prints one JSON object: per case the tables
(ProfileResult.to_dict(), in the order they were made) and what the case
observed besides. Lines the test looks at carry `# @tag`."""
import asyncio
import io
import json
import sys
import threading

import mtrace

MB = 1 << 20
BACKEND = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "default" else None
out = {}
tables = []


def prof(**kw):
    return mtrace.profile(backend=BACKEND, format=None, callback=lambda r: tables.append(r), **kw)


def case(fn):
    """Runs fn, storing the tables it made and what it returned."""
    del tables[:]
    try:
        extra = fn()
    except Exception as e:                      # reported, the test fails on it
        extra = {"error": repr(e)}
    out[fn.__name__] = {"tables": [t.to_dict() for t in tables], "extra": extra}


# ---- generators --------------------------------------------------------------------
@prof()
def gen(n):
    keep = []
    for i in range(n):
        keep.append(bytearray(MB))              # @gen_keep
        yield i                                 # @gen_yield
    del keep                                    # @gen_del


@case
def generator():
    seen = []
    for v in gen(3):
        seen.append(bytearray(7 * MB))          # the consumer's: not in the table
    g = gen(5)
    next(g)
    next(g)
    g.close()                                   # closed early: a table all the same
    return {"is_gen": type(g).__name__}


# ---- coroutines --------------------------------------------------------------------
@prof()
async def coro():
    a = bytearray(2 * MB)                       # @co_a
    await asyncio.sleep(0)                      # @co_await
    b = bytearray(3 * MB)                       # @co_b
    return len(a) + len(b)


async def other():
    global held
    held = bytearray(4 * MB)                    # runs while coro() awaits: not counted


@case
def coroutine():
    async def main():
        return await asyncio.gather(coro(), other())
    r = asyncio.run(main())
    import inspect
    return {"result": r[0], "iscoroutinefunction": inspect.iscoroutinefunction(coro)}


# ---- recursion -----------------------------------------------------------------------
@prof()
def rec(n):
    x = bytearray(MB)                           # @rec_alloc
    if n > 0:
        rec(n - 1)                              # @rec_call
    return x


@case
def recursion():
    rec(2)


# ---- exceptions ----------------------------------------------------------------------
@prof()
def boom(sink):
    sink.append(bytearray(MB))                  # @boom_a
    sink.append(bytearray(2 * MB)); raise ValueError("boom")  # @boom_raise


@prof()
def caught():
    try:
        a = bytearray(MB); raise KeyError       # @caught_raise
    except KeyError:
        b = bytearray(2 * MB)                   # @caught_handler
    return a, b


@case
def exception():
    sink = []
    order = []
    try:
        boom(sink)
    except ValueError:
        order.append(len(tables))               # the table came before the handler
    keep = caught()
    return {"tables_before_handler": order}


# ---- threads -----------------------------------------------------------------------
@prof()
def waits(go, done):
    go.set()                                    # @thr_go
    done.wait()                                 # @thr_wait
    mine = bytearray(MB)                        # @thr_mine
    return mine


@case
def threads():
    go, done = threading.Event(), threading.Event()
    box = []

    def other():
        go.wait()
        box.append(bytearray(8 * MB))           # another thread's: not counted
        done.set()
    t = threading.Thread(target=other)
    t.start()
    waits(go, done)
    t.join()
    # the same function on two threads at once: a table each
    res = []
    go2, done2 = threading.Event(), threading.Event()
    t2 = threading.Thread(target=lambda: res.append(waits(go2, done2)))
    t2.start()
    go2.wait()
    done2.set()
    t2.join()
    return {"thread_ids": [threading.get_ident(), t2.ident]}


@prof()
def handed():
    a = bytearray(MB)                           # @hand_first
    yield 1
    b = bytearray(2 * MB)                       # @hand_second
    yield 2


@case
def gen_thread():
    g = handed()
    next(g)
    t = threading.Thread(target=lambda: list(g))   # the rest on another thread
    t.start()
    t.join()
    g = None                                    # the generator object goes: its table


# ---- a with block, nested profiles, output options ------------------------------------
@case
def block():
    kept = []
    with mtrace.profile_block(backend=BACKEND, format=None) as p:     # @blk_with
        kept.append(bytearray(4 * MB))                               # @blk_keep
        tmp = bytearray(MB); del tmp                                 # @blk_tmp
    tables.append(p.result)


@prof()
def inner():
    return bytearray(3 * MB)                    # @nest_inner


@prof()
def outer():
    a = inner()                                 # @nest_call
    return a


@case
def nested():
    outer()


@case
def formats():
    text, js = io.StringIO(), io.StringIO()

    @mtrace.profile(stream=text, precision=3, backend=BACKEND)
    def f():
        return bytearray(MB)                    # @fmt_line

    @mtrace.profile(stream=js, backend=BACKEND, format="json")
    def g():
        return bytearray(MB)

    f()
    g()
    return {"text": text.getvalue(), "json": js.getvalue(), "last": f.last_result.to_dict()}


# ---- chaining with tools already there -------------------------------------------------
def helper():
    return bytearray(2 * MB)                    # @chain_helper


@prof()
def chained():
    a = bytearray(MB)                           # @chain_a
    b = helper()                                # @chain_call
    return a, b


@case
def chain_settrace():
    seen = []

    def local(frame, event, arg):
        if event == "line":
            seen.append((frame.f_code.co_name, frame.f_lineno))
        return local

    def tracer(frame, event, arg):
        if frame.f_code.co_name in ("chained", "helper"):
            seen.append((frame.f_code.co_name, event))
            return local
        return None

    sys.settrace(tracer)
    try:
        chained()
        after = sys.gettrace() is tracer
    finally:
        sys.settrace(None)
    return {"seen": seen, "restored": after}


@case
def chain_monitoring():
    if not hasattr(sys, "monitoring"):
        return {"skipped": "no sys.monitoring"}
    m = sys.monitoring
    seen = []
    m.use_tool_id(m.PROFILER_ID, "another profiler")
    m.register_callback(m.PROFILER_ID, m.events.LINE,
                        lambda code, line: seen.append((code.co_name, line)))
    m.set_local_events(m.PROFILER_ID, chained.__wrapped__.__code__, m.events.LINE)
    m.set_local_events(m.PROFILER_ID, helper.__code__, m.events.LINE)
    try:
        chained()
        owner = m.get_tool(m.PROFILER_ID)
    finally:
        m.set_local_events(m.PROFILER_ID, chained.__wrapped__.__code__, 0)
        m.set_local_events(m.PROFILER_ID, helper.__code__, 0)
        m.register_callback(m.PROFILER_ID, m.events.LINE, None)
        m.free_tool_id(m.PROFILER_ID)
    free = [t for t in range(6) if m.get_tool(t) is not None]
    return {"seen": seen, "owner": owner, "tools_in_use_after": free}


# ---- the cost of an event ------------------------------------------------------------
@prof()
def quiet():
    x = 0                                       # @quiet_a
    for i in range(1000):                       # @quiet_loop
        x += i                                  # @quiet_body
    return x


@case
def overhead():
    quiet()


# ---- mark("phase"): a generation and a label --------------------------------------------
@case
def mark():
    m1 = mtrace.mark("phase one")
    m2 = mtrace.mark()
    return {"m1": m1, "m2": m2, "label": mtrace.label("phase two")}


print(json.dumps(out))
