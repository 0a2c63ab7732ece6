"""Seeded random streams, one per purpose, derived from one seed.

Each purpose (``"links"``, ``"swaps"``, …) gets its own ``numpy.random.Generator``
built from ``SeedSequence(seed, spawn_key=(crc32(purpose),))``; a purpose may carry
integer keys as well (``get("edge", 3)``: ``spawn_key=(crc32("edge"), 3)``), one stream
per item of a family of independent sources.  A stream therefore depends only on the
seed, its name and its keys — not on which other streams exist or how many numbers they
drew — so adding a random choice to one part of a simulation does not shift the numbers
every other part sees, and the same seed always replays the same run.

A model that draws every number from one generator in event order (so that its draws
depend on the order of its events) takes :meth:`Streams.root`, the generator of the seed
itself (``SeedSequence(seed)``, what ``numpy.random.default_rng(seed)`` builds).
"""

from __future__ import annotations

import zlib

import numpy as np


def _whole(x: object) -> bool:
    """Whether ``x`` is a non-negative whole number."""
    try:
        return int(x) == x and x >= 0  # type: ignore[call-overload, operator]
    except (TypeError, ValueError, OverflowError):
        return False


class Streams:
    """Named, independent random generators derived from one seed.

    Parameters
    ----------
    seed
        A non-negative integer, or a tuple of them (for example ``(seed, replication)``).

    Examples
    --------
    >>> a, b = Streams(7), Streams(7)
    >>> bool(a.get("links").random() == b.get("links").random())
    True
    """

    def __init__(self, seed: int | tuple[int, ...]) -> None:
        parts = tuple(seed) if isinstance(seed, tuple | list) else (seed,)
        if not parts or not all(_whole(x) for x in parts):
            raise ValueError(f"seed must be a non-negative integer or a tuple of them, "
                             f"got {seed!r}")
        self.seed: int | tuple[int, ...] = (
            tuple(int(x) for x in parts) if isinstance(seed, tuple | list) else int(parts[0]))
        self._entropy = self.seed if isinstance(self.seed, int) else list(self.seed)
        self._streams: dict[tuple[str | int, ...], np.random.Generator] = {}
        self._root: np.random.Generator | None = None

    def sequence(self, purpose: str, *key: int) -> np.random.SeedSequence:
        """The seed sequence of one purpose (and its integer keys)."""
        name = zlib.crc32(purpose.encode("utf-8"))
        return np.random.SeedSequence(self._entropy, spawn_key=(name, *key))

    def get(self, purpose: str, *key: int) -> np.random.Generator:
        """The generator of ``purpose`` and ``key`` (created on first use, then the same)."""
        k = (purpose, *key)
        gen = self._streams.get(k)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.sequence(purpose, *key)))
            self._streams[k] = gen
        return gen

    def root(self) -> np.random.Generator:
        """The one generator of the seed itself (created on first use, then the same)."""
        if self._root is None:
            self._root = np.random.Generator(np.random.PCG64(
                np.random.SeedSequence(self._entropy)))
        return self._root


class Buffered:
    """Draws from a generator in blocks, for event loops that need one number at a time.

    ``numpy`` draws cost ~1 µs each one by one and a few ns each in blocks; a loop that
    needs 10⁶ draws spends most of its time in the calls.  Uniform and exponential draws
    come from separate blocks; the numbers a run sees depend only on the generator's seed
    and the block size (fixed by the caller), so a seed still replays the same run.

    Parameters
    ----------
    gen
        The generator.
    block
        Numbers drawn at a time.
    """

    __slots__ = ("_block", "_exp", "_gen", "_i", "_j", "_uni")

    def __init__(self, gen: np.random.Generator, block: int = 4096) -> None:
        self._gen = gen
        self._block = block
        self._uni: list[float] = []
        self._exp: list[float] = []
        self._i = 0
        self._j = 0

    def random(self) -> float:
        """One uniform draw in [0, 1)."""
        if self._i >= len(self._uni):
            self._uni = self._gen.random(self._block).tolist()
            self._i = 0
        self._i += 1
        return self._uni[self._i - 1]

    def exponential(self) -> float:
        """One standard exponential draw (mean 1)."""
        if self._j >= len(self._exp):
            self._exp = self._gen.standard_exponential(self._block).tolist()
            self._j = 0
        self._j += 1
        return self._exp[self._j - 1]
