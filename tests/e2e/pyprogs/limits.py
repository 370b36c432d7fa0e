"""A test module for the pytest plugin (test_pytest_plugin.py): tests within
and over limit_memory and limit_leaks, on a heap of ~50 MB built at import."""
import pytest

BIG = [bytearray(1 << 20) for _ in range(50)]  # @big_heap
LEAKED = []
CACHE = {}


@pytest.mark.limit_memory("10 MB")
@pytest.mark.limit_leaks("1 MB")
def test_within_limits():
    data = [bytes(1000) for _ in range(1000)]
    assert len(data) == 1000


@pytest.mark.limit_memory("10 MB")
def test_big_heap_adds_little():
    extra = bytearray(2 << 20)
    assert len(BIG) == 50 and len(extra) == 2 << 20


@pytest.mark.limit_leaks("1 MB")
def test_leaky():
    LEAKED.append([bytes(1000) for _ in range(2000)])  # @leak


@pytest.mark.limit_memory("10 MB")
def test_too_much():
    hog = bytearray(30 << 20)  # @hog
    del hog


@pytest.mark.limit_leaks("1 MB", warmups=1)
def test_first_call_cache():
    if "table" not in CACHE:
        CACHE["table"] = bytearray(4 << 20)


def _noise():
    LEAKED.append(bytearray(3 << 20))


@pytest.mark.limit_leaks("1 MB", filter_fn=lambda stack: not any(f.function == "_noise" for f in stack.frames))
def test_filtered_leak():
    _noise()


@pytest.mark.limit_leaks("1 MB", filter_fn=lambda stack: True)
def test_unfiltered_leak():
    _noise()


def test_unmarked():
    assert sum(len(b) for b in BIG) == 50 << 20
