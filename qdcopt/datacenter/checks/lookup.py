"""Plan ids → instance positions, at array speed.

A plan names requests, sources, QPUs and reasons by their ids, as object arrays of
strings.  A plan made in this process holds the instance's own id objects (the methods
index the instance's arrays), so most look-ups are settled by object identity: an object
array stores the addresses of its objects, and two equal addresses are one object, hence
one value.  Those addresses go through a compiled hash table.  What is left (a plan read
from files holds new string objects) is looked up by value: by Python's hash, checked by
equality, so that the answers are those of a ``dict`` of the table's values.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import numba
import numpy as np
import pandas as pd

_CACHE_FROM = 10_000
"""Read-only arrays at least this long keep their hash table or codes for the next call."""

T = TypeVar("T")


_MERGE_BY_DICT = 4096
"""Most distinct objects :func:`factorize` merges by value in a Python loop."""

_kept: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def object_addresses(values: np.ndarray) -> np.ndarray:
    """The address of every object an object array holds, as int64.

    Parameters
    ----------
    values
        A one-dimensional object array.

    Returns
    -------
    numpy.ndarray
        Equal entries are the same object (the array keeps them alive while it lives).
    """
    values = np.ascontiguousarray(values, dtype=object)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # an object array's buffer is its PyObject pointers; numpy refuses a view of it as
    # integers, ctypes does not
    raw = ctypes.cast(values.ctypes.data, ctypes.POINTER(ctypes.c_int64))
    return np.ctypeslib.as_array(raw, (n,)).copy()


def positions(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Position in ``table`` of each entry of ``values``, −1 where absent.

    Parameters
    ----------
    values, table
        One-dimensional object arrays; the entries of ``table`` are distinct.

    Returns
    -------
    numpy.ndarray
        int64 positions, as ``{v: i for i, v in enumerate(table)}.get(x, -1)`` would give.

    Raises
    ------
    TypeError
        For an unhashable entry of ``values`` that is not one of the table's objects.
    """
    # the arrays must hold the objects whose addresses are taken for as long as those
    # addresses are compared (a conversion makes new objects)
    values = np.asarray(values, dtype=object)
    table = np.asarray(table, dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(table) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    index = _identity_index(table)
    addresses = object_addresses(values)
    probe = _probe if len(index) == 2 else _probe_buckets  # a hash table, or buckets
    out = probe(*index, addresses)
    missed = np.flatnonzero(out < 0)
    if len(missed):
        out[missed] = _by_value(values, missed, addresses[missed], table)
    return out


def factorize(values: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """Codes of equal values and the distinct values, in order of first appearance.

    Parameters
    ----------
    values
        A one-dimensional object array of hashable entries.

    Returns
    -------
    (numpy.ndarray, list)
        ``codes[i]`` is the position of ``values[i]`` in the list of distinct values
        (read-only: they are kept for the next call on the same read-only array, as an
        instance's job column is).
    """
    values = np.asarray(values, dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), []
    codes, uniques = _cached(values, "factorize", _factorize)
    return codes, list(uniques)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, list[object]]:
    codes, first = _distinct(object_addresses(values))
    if len(first) > _MERGE_BY_DICT:
        # many distinct objects (values read from files): pandas hashes them in C, with
        # the same equality and the same order of first appearance
        by_value, uniques = pd.factorize(values, use_na_sentinel=False)
        codes = by_value.astype(np.int64)
        codes.setflags(write=False)
        return codes, list(uniques)
    # distinct objects may still hold equal values: merge them by value, in order
    merged: dict[object, int] = {}
    remap = np.empty(len(first), dtype=np.int64)
    for k, i in enumerate(first.tolist()):
        remap[k] = merged.setdefault(values[i], len(merged))
    codes = remap[codes]
    codes.setflags(write=False)
    return codes, list(merged)


def _cached(array: np.ndarray, kind: str, make: Callable[[np.ndarray], T]) -> T:
    """``make(array)``, kept for the next call while ``array`` lives when it is long,
    read-only and owns its data (an instance's columns, looked up again by every
    validation); other arrays may change, so their results are not kept."""
    key = (id(array), kind)
    hit = _kept.get(key)
    if hit is not None and hit[0]() is array:
        return hit[1]
    result = make(array)
    if len(array) >= _CACHE_FROM and not array.flags.writeable and array.base is None:
        _kept[key] = (weakref.ref(array, lambda _, k=key: _kept.pop(k, None)), result)
    return result


def _identity_index(table: np.ndarray) -> tuple[object, ...]:
    """The index of the table's object addresses: buckets in address order for a long
    table (:func:`_address_buckets`), a hash table for a short one."""

    def make(t: np.ndarray) -> tuple[object, ...]:
        addresses = object_addresses(t)
        if len(t) < _CACHE_FROM:
            return _build(addresses)
        # made one after the other, the objects mostly lie in address order already: the
        # sort finds long runs
        where = np.argsort(addresses, kind="stable")
        return _address_buckets(addresses[where], where)

    return _cached(table, "identity", make)


def _by_value(values: np.ndarray, missed: np.ndarray, addresses: np.ndarray,
              table: np.ndarray) -> np.ndarray:
    """Positions of ``values[missed]`` in ``table`` by value, each distinct object once."""
    codes, first = _distinct(addresses)
    objects = values[missed[first]]
    hashes = np.fromiter(map(hash, objects), dtype=np.int64, count=len(objects))
    table_hashes = np.fromiter(map(hash, table), dtype=np.int64, count=len(table))
    keys, slots = _build(table_hashes)
    found = _probe(keys, slots, hashes)
    # equal values have equal hashes; a hit must still be equal (a collision is not),
    # and equal hashes in the table share the first slot: settle those by a scan
    hit = np.flatnonzero(found >= 0)
    unequal = hit[np.asarray(objects[hit] != table[found[hit]], dtype=bool)]
    for k in unequal.tolist():
        same = np.flatnonzero(table_hashes == hashes[k])
        match = [int(j) for j in same if table[j] == objects[k]]
        found[k] = match[-1] if match else -1
    return found[codes]


@numba.njit(cache=True)
def _slot(key, mask):  # pragma: no cover - compiled
    """Home slot of a key.  Addresses are multiples of 16, and the objects of one column
    were mostly made one after the other: nearby addresses get nearby slots, so that
    looking up a column in the order it was made walks the table rather than jumping
    about it (the high bits are folded in so that far-apart addresses spread)."""
    return ((key >> 4) ^ (key >> 24)) & mask


@numba.njit(cache=True)
def _build(keys):  # pragma: no cover - compiled
    """Open-addressing table of ``keys`` → first position (keys and slots, −1: empty)."""
    size = 16
    while size < 2 * len(keys):
        size *= 2
    mask = size - 1
    table_keys = np.zeros(size, dtype=np.int64)
    slots = np.full(size, -1, dtype=np.int64)
    for i in range(len(keys)):
        k = keys[i]
        j = _slot(k, mask)
        while slots[j] >= 0 and table_keys[j] != k:
            j = (j + 1) & mask
        if slots[j] < 0:
            table_keys[j] = k
            slots[j] = i
    return table_keys, slots


@numba.njit(cache=True)
def _probe(table_keys, slots, keys):  # pragma: no cover - compiled
    """Position of each key in the table of :func:`_build`, −1 if absent."""
    mask = len(slots) - 1
    out = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        k = keys[i]
        j = _slot(k, mask)
        r = -1
        while slots[j] >= 0:
            if table_keys[j] == k:
                r = slots[j]
                break
            j = (j + 1) & mask
        out[i] = r
    return out


@numba.njit(cache=True)
def _address_buckets(keys, where):  # pragma: no cover - compiled
    """Buckets of equal address ranges over the sorted addresses ``keys`` (at table
    positions ``where``), about one address per bucket.

    A table's objects were mostly made one after the other, so a plan that lists them in
    about the table's order (as every method's does, give or take a storage window) looks
    up neighbouring buckets one after the other: the look-ups walk memory instead of
    landing anywhere in it, and mostly find their address first in the bucket.  Where
    addresses crowd into few buckets (objects made far apart), a bucket is bisected.

    Returns
    -------
    tuple
        ``(lowest address, shift, bucket starts, keys, where)``: address ``x`` is in
        bucket ``(x − lowest) >> shift``, which is ``keys[starts[b]:starts[b + 1]]``.
    """
    n = len(keys)
    low = keys[0]
    span = keys[n - 1] - low + 1
    shift = 0
    while (span >> shift) > n:
        shift += 1
    n_buckets = (span >> shift) + 1
    starts = np.zeros(n_buckets + 1, dtype=np.int64)
    for k in keys:
        starts[((k - low) >> shift) + 1] += 1
    for b in range(n_buckets):
        starts[b + 1] += starts[b]
    return low, shift, starts, keys, where


@numba.njit(cache=True)
def _probe_buckets(low, shift, starts, bucket_keys, where, keys):  # pragma: no cover
    """Position of each key in the buckets of :func:`_address_buckets`, −1 if absent."""
    n_buckets = len(starts) - 1
    out = np.empty(len(keys), dtype=np.int64)
    for i in range(len(keys)):
        k = keys[i]
        found = -1
        if k >= low and (k - low) >> shift < n_buckets:
            b = (k - low) >> shift
            lo = starts[b]
            hi = starts[b + 1]
            while hi - lo > 4:  # a crowded bucket: bisect it (its keys are sorted)
                mid = (lo + hi) >> 1
                if bucket_keys[mid] <= k:
                    lo = mid
                else:
                    hi = mid
            for j in range(lo, hi):
                if bucket_keys[j] == k:
                    found = where[j]
                    break
        out[i] = found
    return out


@numba.njit(cache=True)
def _distinct(keys):  # pragma: no cover - compiled
    """Codes of equal keys (in order of first appearance) and each code's first index.

    The table grows with the distinct keys, not with the entries: a column of a few
    distinct objects (a job or reason per request) stays in the processor's cache.
    """
    size = 64
    mask = size - 1
    table_keys = np.zeros(size, dtype=np.int64)
    code_of = np.full(size, -1, dtype=np.int64)
    codes = np.empty(len(keys), dtype=np.int64)
    first = np.empty(len(keys), dtype=np.int64)
    n = 0
    for i in range(len(keys)):
        k = keys[i]
        j = _slot(k, mask)
        while code_of[j] >= 0 and table_keys[j] != k:
            j = (j + 1) & mask
        if code_of[j] < 0:
            if 2 * (n + 1) > size:  # keep the table at most half full
                size *= 2
                mask = size - 1
                grown_keys = np.zeros(size, dtype=np.int64)
                grown_codes = np.full(size, -1, dtype=np.int64)
                for c in range(n):
                    kc = keys[first[c]]
                    jc = _slot(kc, mask)
                    while grown_codes[jc] >= 0:
                        jc = (jc + 1) & mask
                    grown_keys[jc] = kc
                    grown_codes[jc] = c
                table_keys = grown_keys
                code_of = grown_codes
                j = _slot(k, mask)
                while code_of[j] >= 0:
                    j = (j + 1) & mask
            table_keys[j] = k
            code_of[j] = n
            first[n] = i
            n += 1
        codes[i] = code_of[j]
    return codes, first[:n]
