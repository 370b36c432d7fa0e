"""The line profile of issue 10 (test_python_profile.py): work() keeps 10 MB,
makes and drops a 20 MB temporary, calls a helper that keeps 5 MB.

    profiled.py mtrace [BACKEND]   @mtrace.profile: its table on stdout, the
                                   ProfileResult as JSON in profile.json
    profiled.py mp                 the same function under memory_profiler's
                                   @profile (Debian's python3-memory-profiler)

The decorator sits on the same line in both modes, so the tables' line
numbers compare."""
import json
import sys

MB = 1 << 20
MODE = sys.argv[1] if len(sys.argv) > 1 else "mtrace"
if MODE == "mp":
    from memory_profiler import profile
else:
    import mtrace

    def keep_json(result):
        with open("profile.json", "w") as f:
            json.dump(result.to_dict(), f)

    profile = mtrace.profile(backend=sys.argv[2] if len(sys.argv) > 2 else None,
                             callback=keep_json)


def helper():
    return bytearray(5 * MB)


@profile                                    # @decorator
def work():
    keep = bytearray(10 * MB)               # @keep
    n = len(bytearray(20 * MB))             # @temp
    more = helper()                         # @helper
    for i in range(3):                      # @loop
        n += i                              # @body
    del keep                                # @del
    return more, n                          # @ret


work()
