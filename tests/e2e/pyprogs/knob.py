"""The allocator knob (test_python.py): what PYTHONMALLOC the script sees,
and 10,000 small dicts at @small (each a malloc call without pymalloc)."""
import json
import os

objs = [{"i": i} for i in range(10000)]  # @small
print(json.dumps({"PYTHONMALLOC": os.environ.get("PYTHONMALLOC"), "n": len(objs)}))
