"""Seeded random streams, one per purpose, derived from one seed.

Each purpose (``"links"``, ``"swaps"``, …) gets its own ``numpy.random.Generator``
built from ``SeedSequence(seed, spawn_key=(crc32(purpose),))``.  A stream therefore
depends only on the seed and its name — not on which other streams exist or how many
numbers they drew — so adding a random choice to one part of a simulation does not
shift the numbers every other part sees, and the same seed always replays the same run.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """Named, independent random generators derived from one seed.

    Parameters
    ----------
    seed
        A non-negative integer.

    Examples
    --------
    >>> a, b = Streams(7), Streams(7)
    >>> bool(a.get("links").random() == b.get("links").random())
    True
    """

    def __init__(self, seed: int) -> None:
        if int(seed) != seed or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def sequence(self, purpose: str) -> np.random.SeedSequence:
        """The seed sequence of one purpose."""
        key = zlib.crc32(purpose.encode("utf-8"))
        return np.random.SeedSequence(self.seed, spawn_key=(key,))

    def get(self, purpose: str) -> np.random.Generator:
        """The generator of ``purpose`` (created on first use, then the same object)."""
        gen = self._streams.get(purpose)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.sequence(purpose)))
            self._streams[purpose] = gen
        return gen


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
