"""What a validator returns: violations with stable codes, and metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    code
        Stable code of the rule, e.g. ``"A5-STORAGE"``; tests and users may match on it.
    message
        What is wrong, with the numbers that break the rule.
    event
        The offending event's fields (request id, source, time...).
    """

    code: str
    message: str
    event: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary."""
        return {"code": self.code, "message": self.message, "event": _plain(self.event)}


@dataclass(frozen=True)
class Report:
    """Result of replaying a plan against its instance.

    Attributes
    ----------
    family
        Problem family.
    objective
        The objective recomputed by the validator (the one qdcopt prints).
    violations
        Every broken rule found (empty when the plan is valid).
    metrics
        Named figures of the plan (accepted, acceptance ratio, reconfigurations...).
    """

    family: str
    objective: float
    violations: tuple[Violation, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the plan breaks no rule."""
        return not self.violations

    def codes(self) -> set[str]:
        """The set of violation codes."""
        return {v.code for v in self.violations}

    def to_dict(self, max_violations: int = 50) -> dict[str, Any]:
        """Plain JSON-ready dictionary (at most ``max_violations`` listed)."""
        return {
            "family": self.family,
            "valid": self.ok,
            "objective": _plain(self.objective),
            "violation_count": len(self.violations),
            "violations": [v.to_dict() for v in self.violations[:max_violations]],
            "metrics": _plain(self.metrics),
        }


def _plain(x: Any) -> Any:
    """Convert numpy scalars and non-finite floats to JSON-ready values."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and callable(x.item) and getattr(x, "ndim", 1) == 0:
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
