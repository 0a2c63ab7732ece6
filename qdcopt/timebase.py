"""Integer time base.

Every time inside qdcopt is an integer number of ticks of :data:`TICK_SECONDS`
(one femtosecond).  Floats and unit strings live only at the file boundary, where
:func:`parse_duration` and :func:`parse_rate` turn them into ticks; after loading, every
comparison the validators make is exact integer arithmetic.

A femtosecond base keeps one second (10**15 ticks) far inside int64 and gives exact
event grids for every source whose period is a whole number of femtoseconds (1 GHz,
1 MHz, 10 GHz, ...).  int64 femtoseconds end near 9223 s; times are limited to
:data:`MAX_TICKS` (1000 s) so that sums of a few times (a need time plus a storage window
plus a switch move, an event time one period on) stay exact as well.  Longer times,
and rates slower than one event per 1000 s, are refused with the limit in the message.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np

TICKS_PER_SECOND: int = 10**15
TICK_SECONDS: float = 1e-15
MAX_TICKS: int = 1000 * TICKS_PER_SECOND
"""Longest time qdcopt represents: 1000 s (int64 femtoseconds end near 9223 s)."""
MAX_TIME_TEXT: str = "1000 s"
MIN_RATE_TEXT: str = "0.001 Hz"
# Decimal exponents beyond this are clamped (large) or read as zero (small) before any
# exact arithmetic, so that "1e999999999 s" cannot ask for a number with a billion digits.
_MAX_EXPONENT = 40

_TIME_UNITS: dict[str, int] = {
    "s": 10**15,
    "ms": 10**12,
    "us": 10**9,
    "µs": 10**9,
    "ns": 10**6,
    "ps": 10**3,
    "fs": 1,
}
_RATE_UNITS: dict[str, int] = {"hz": 1, "khz": 10**3, "mhz": 10**6, "ghz": 10**9, "thz": 10**12}
_QUANTITY = re.compile(r"^\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-zµ]*)\s*$")


class TimeValueError(ValueError):
    """A value that cannot be read as a time or rate; the message states the rule."""


def _exact(value: object) -> Fraction:
    """Read a number (int, float, numeric string) as an exact fraction."""
    if isinstance(value, bool):
        raise TimeValueError(f"must be a number, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TimeValueError(f"must be a finite number, got {value!r}")
        # repr() gives the shortest decimal that round-trips, so 1e-9 stays 1e-9 exactly.
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        try:
            dec = Decimal(value)
        except InvalidOperation as exc:
            raise TimeValueError(f"must be a number, got {value!r}") from exc
        if not dec.is_finite():
            raise TimeValueError(f"must be a finite number, got {value!r}")
        # Out-of-scale magnitudes keep their sign and side of every limit, so the range
        # checks of the callers report them with the limit.
        if dec and dec.adjusted() > _MAX_EXPONENT:
            return Fraction(10 ** (_MAX_EXPONENT + 1)) * (-1 if dec < 0 else 1)
        if dec and dec.adjusted() < -_MAX_EXPONENT:
            return Fraction(0)  # far below one tick of any unit
        return Fraction(dec)
    raise TimeValueError(f"must be a number or a string with a unit, got {value!r}")


def _split(value: object) -> tuple[Fraction, str]:
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m:
            raise TimeValueError(f"must be a number with an optional unit, got {value!r}")
        return _exact(m.group(1)), m.group(2)
    return _exact(value), ""


def parse_duration(value: object, *, allow_zero: bool = True, allow_negative: bool = False) -> int:
    """Convert a time to ticks.

    Parameters
    ----------
    value
        A number of seconds, or a string with a unit (``"10 ns"``, ``"1e-3 s"``, ``"2 us"``).
    allow_zero, allow_negative
        Which signs are acceptable.

    Returns
    -------
    int
        The time in ticks, rounded to the nearest femtosecond.

    Raises
    ------
    TimeValueError
        When the value is not a finite number, has an unknown unit, has a forbidden sign,
        or is longer than :data:`MAX_TICKS` (1000 s).
    """
    number, unit = _split(value)
    scale = _TIME_UNITS.get(unit or "s")
    if scale is None:
        raise TimeValueError(f"unknown time unit {unit!r} (use s, ms, us, ns, ps or fs)")
    ticks = round(number * scale)
    if ticks < 0 and not allow_negative:
        raise TimeValueError(f"must not be negative, got {value!r}")
    if ticks == 0 and not allow_zero:
        raise TimeValueError(f"must be positive, got {value!r}")
    if abs(ticks) > MAX_TICKS:
        raise TimeValueError(f"must be at most {MAX_TIME_TEXT} (the longest time qdcopt "
                             f"represents), got {value!r}")
    return int(ticks)


def parse_rate(value: object) -> int:
    """Convert a rate (Hz, or a string like ``"1 GHz"``) to its period in ticks.

    Raises
    ------
    TimeValueError
        When the rate is not positive and finite, faster than one event per tick, or
        slower than one event per :data:`MAX_TICKS` (0.001 Hz).
    """
    number, unit = _split(value)
    scale = _RATE_UNITS.get((unit or "hz").lower())
    if scale is None:
        raise TimeValueError(f"unknown rate unit {unit!r} (use Hz, kHz, MHz, GHz or THz)")
    hz = number * scale
    if hz <= 0:
        raise TimeValueError(f"must be a positive rate, got {value!r}")
    period = round(Fraction(TICKS_PER_SECOND) / hz)
    if period < 1:
        raise TimeValueError(f"must be at most 1e15 Hz (one event per femtosecond), got {value!r}")
    if period > MAX_TICKS:
        raise TimeValueError(f"must be at least {MIN_RATE_TEXT} (one event per {MAX_TIME_TEXT}),"
                             f" got {value!r}")
    return int(period)


def time_rule(ticks: object, *, positive: bool = False) -> str | None:
    """The broken rule of a time already in ticks, or ``None`` when it is valid.

    Instances built in code hold ticks directly; they are held to the same rules as
    times read from files (a whole number of ticks, a sign, at most :data:`MAX_TICKS`).
    """
    if isinstance(ticks, bool) or not isinstance(ticks, (int, np.integer)):
        return f"must be a whole number of ticks, got {ticks!r}"
    if ticks < 0:
        return f"must not be negative, got {ticks!r}"
    if positive and ticks == 0:
        return "must be positive, got 0"
    if ticks > MAX_TICKS:
        return (f"must be at most {MAX_TICKS} ticks ({MAX_TIME_TEXT}, the longest time "
                f"qdcopt represents), got {ticks!r}")
    return None


def seconds(ticks: int | float) -> float:
    """Ticks to seconds, for display only."""
    return float(ticks) / TICKS_PER_SECOND


def format_ticks(ticks: int) -> str:
    """A short human-readable time, e.g. ``"12.5 ns"``."""
    for unit in ("s", "ms", "us", "ns", "ps"):
        scale = _TIME_UNITS[unit]
        if abs(ticks) >= scale:
            return f"{ticks / scale:g} {unit}"
    return f"{ticks} fs"
