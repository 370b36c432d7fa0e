"""Allocation-heavy pure-Python workload for scripts/bench.

Builds dicts, lists, tuples and strings in loops, round-trips them through
json, sorts, groups and concatenates: about 130,000 allocations per round
with PYTHONMALLOC=malloc (every object a malloc call); the default 25 rounds
make 3.3 million and take about 1 s on the bench machine. A few results
survive each round, so the live heap moves a little.

    python3 alloc_heavy.py [ROUNDS]      (default 25; scripts/bench --quick uses 3)

Prints one checksum line.
"""
import json
import sys


PASSES = 30
WEIGHTS = {"t%d" % i: 1.0 + i / 10 for i in range(7)}


def make_record(i):
    return {
        "id": i,
        "name": "user-%d" % i,
        "email": "user%d@example.org" % (i * 7 % 1000),
        "tags": ["t%d" % (i % 7), "g%d" % (i % 13), "x" * (i % 5)],
        "score": i * 0.5,
        "point": (i, -i, i * 2),
        "nested": {"a": [i, i + 1, i + 2], "b": str(i) * 3},
    }


def one_round(r, size=1000):
    base = r * size
    batch = [make_record(base + i) for i in range(size)]
    text = json.dumps(batch)
    back = json.loads(text)
    total = len(text)
    total += sum(rec["id"] + len(rec["tags"]) for rec in back)

    # Group and transform: many short-lived lists, strings and dicts.
    groups = {}
    for rec in back:
        key = rec["tags"][0] + "/" + rec["tags"][1]
        groups.setdefault(key, []).append((rec["name"].upper(), rec["score"]))
    for key, items in groups.items():
        items.sort(key=lambda t: (-t[1], t[0]))
        total += len(key) + len(items)

    words = " ".join(rec["email"] for rec in back).split()
    counts = {}
    for w in words:
        user, _, domain = w.partition("@")
        counts[domain] = counts.get(domain, 0) + len(user)
    total += sum(counts.values())

    # String building and slicing.
    parts = []
    for i in range(size):
        parts.append("%05d:%s;" % (i, hex(base + i)))
    joined = "".join(parts)
    total += sum(len(joined[i:i + 40]) for i in range(0, len(joined), 40))

    # Scoring passes: dict lookups, string tests and float arithmetic, which
    # allocate little (floats come from CPython's free list), like the
    # computing part of a real program between its allocations.
    acc = 0.0
    for _ in range(PASSES):
        for rec in back:
            w = WEIGHTS.get(rec["tags"][0], 0.5)
            if rec["name"].startswith("user-1") or rec["tags"][2] == "xx":
                w *= 1.5
            acc += rec["score"] * w - rec["point"][1] * 0.25
    total += int(acc) % 1000

    # Sets and comprehensions of tuples.
    pairs = {(a % 97, a % 89) for a in range(base, base + size * 2)}
    total += len(pairs)
    return total, back[r % size]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    total = 0
    survivors = []
    for r in range(rounds):
        t, keep = one_round(r)
        total += t
        survivors.append(keep)
        if len(survivors) > 64:
            del survivors[:32]
    print("alloc_heavy: %d rounds, checksum %d, %d survivors" % (rounds, total, len(survivors)))


if __name__ == "__main__":
    main()
