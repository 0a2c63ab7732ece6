"""Plan ids to instance positions: the validator's look-ups answer as a dict would."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qdcopt.datacenter.checks.lookup import factorize, object_addresses, positions


def _objects(items):
    arr = np.empty(len(items), dtype=object)
    for k, x in enumerate(items):
        arr[k] = x
    return arr


def _copy(s: str) -> str:
    return "".join(list(s))  # equal, but another object


def _reference(values, table):
    index = {v: i for i, v in enumerate(table.tolist())}
    return np.array([index.get(v, -1) for v in values.tolist()], dtype=np.int64)


NAMES = st.text(alphabet="abcr0123", min_size=1, max_size=4)


@st.composite
def lookups(draw, min_table=0, max_table=30):
    table = _objects(draw(st.lists(NAMES, min_size=min_table, max_size=max_table,
                                   unique=True)))
    values = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["same", "copy", "absent", "number"]))
        if kind in ("same", "copy") and len(table):
            x = table[draw(st.integers(0, len(table) - 1))]
            values.append(x if kind == "same" else _copy(x))
        elif kind == "number":
            values.append(draw(st.integers(0, 3)))
        else:
            values.append(draw(NAMES) + "!")
    return _objects(values), table


@settings(max_examples=300, deadline=None)
@given(lookups())
def test_positions_answer_as_a_dict(case):
    values, table = case
    assert positions(values, table).tolist() == _reference(values, table).tolist()


def test_long_tables_and_plans_in_any_order():
    # long tables keep their hash table and look a few entries ahead of the last hit
    table = _objects([f"r{i}" for i in range(20_000)])
    table.setflags(write=False)
    rng = np.random.default_rng(1)
    for order in (np.arange(0, 20_000, 3), rng.permutation(20_000)[:5000]):
        values = table[order]
        values[::7] = [_copy(x) for x in values[::7]]
        values[::11] = "nowhere"
        want = _reference(values, table)
        assert positions(values, table).tolist() == want.tolist()
        assert positions(values, table).tolist() == want.tolist()  # the kept table
    # another long table is looked up in its own hash table, not in the kept one
    other = _objects([f"s{i}" for i in range(20_000)])
    other.setflags(write=False)
    assert positions(other[:5], other).tolist() == [0, 1, 2, 3, 4]


@settings(max_examples=200, deadline=None)
@given(lookups(min_table=1))
def test_factorize_merges_equal_values_in_order_of_first_appearance(case):
    values, table = case
    mixed = np.concatenate([values, table[::-1]])
    codes, uniques = factorize(mixed)
    assert list(Counter(mixed.tolist())) == uniques
    assert [uniques[c] for c in codes.tolist()] == mixed.tolist()


def test_factorize_of_many_distinct_objects():
    values = _objects([_copy(f"j{i % 5000}") for i in range(12_000)])
    codes, uniques = factorize(values)
    assert uniques == [f"j{i}" for i in range(5000)]
    assert codes.tolist() == [i % 5000 for i in range(12_000)]


def test_addresses_tell_objects_apart():
    a, b = "x" * 3, _copy("x" * 3)
    addresses = object_addresses(_objects([a, b, a]))
    assert addresses[0] == addresses[2] != addresses[1]
    assert object_addresses(_objects([])).tolist() == []


def test_a_long_table_of_scattered_objects():
    # objects made among others, far apart in memory: many share a bucket, which is then
    # bisected
    keep = []
    names = []
    for i in range(15_000):
        keep.append(np.zeros(100 + i % 7))  # something else between the strings
        names.append(f"q{i}")
    table = _objects(names)
    table.setflags(write=False)
    values = table[np.random.default_rng(2).permutation(15_000)[:3000]]
    assert positions(values, table).tolist() == _reference(values, table).tolist()
