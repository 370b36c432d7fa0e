"""C++: new/delete reach the shim; a global destructor's delete[] is not a leak;
operator new is not the allocation site."""
from mtlib import *

p, d, snaps = run([prog("cxx_global")])
equal((p.returncode, p.stdout.strip()), (0, "50000"), "runs unchanged")
js = report("top", "-n", "0", snaps[0])
rows = rows_by_line(js, "cxx_global.cpp")
leak = rows.get(line_of("cxx_global.cpp", "cxx_leak"))
glob_ = rows.get(line_of("cxx_global.cpp", "global_ctor"))
if check(leak is not None, "new Node() site"):
    equal((leak["alloc_count"], leak["live_count"], leak["live_bytes"]), (100, 100, 3200), "cxx_leak")
    check("leak_nodes" in leak["function"], f"function name demangled/plain: {leak['function']}")
if check(glob_ is not None, "global constructor site"):
    equal((glob_["alloc_count"], glob_["alloc_bytes"], glob_["live_count"]), (1, 8192, 0),
          "global destructor freed its buffer")
check(not any("operator new" in (r.get("function") or "") for r in js["rows"]),
      "operator new is never the site")
done()
