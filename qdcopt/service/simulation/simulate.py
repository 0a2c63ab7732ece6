"""``simulate(instance, **options)``: run a family-D instance over time.

* a ModEn-Hub instance: per size N and strategy, ``runs`` seeded Monte Carlo runs with
  means and 95 % intervals beside the exact expected values;
* a demand-service instance: the service for ``days`` days (options override the
  instance's controller: ``policy``/``scheduler``, ``admission``, ``days``, ``seed``,
  ``renewal_rate``, ``queue``, ``utilisation_limit``).

Both results offer ``to_frame()`` and ``to_dict()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from qdcopt.engine import mean_ci
from qdcopt.engine.limits import check_seeds
from qdcopt.fields import Section
from qdcopt.service.hub.exact import exact_hub
from qdcopt.service.hub.montecarlo import run_seeds, simulate_hub
from qdcopt.service.instance import HubInstance, ServiceInstance, check_hub, check_run
from qdcopt.service.simulation.controller import ServiceResult, simulate_service

_SERVICE_OPTIONS = {"policy": "scheduler", "scheduler": "scheduler", "admission": "admission",
                    "days": "days", "seed": "seed", "renewal_rate": "renewal_rate",
                    "queue": "queue", "utilisation_limit": "utilisation_limit",
                    "check": "check"}


@dataclass(frozen=True)
class HubResult:
    """Per (N, strategy): Monte Carlo means, 95 % half-widths and exact values."""

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The table."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready rows."""
        rows = self.frame.to_dict(orient="records")
        return {"rows": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                          for k, v in r.items()} for r in rows]}


def simulate(instance: HubInstance | ServiceInstance, **options: Any
             ) -> HubResult | ServiceResult:
    """Run ``instance`` over time (see the module text).

    Raises
    ------
    ValueError
        For an option the instance's kind does not take, or a bad value.
    """
    if isinstance(instance, HubInstance):
        return _simulate_hub(instance, **options)
    if isinstance(instance, ServiceInstance):
        changes = {}
        for key, value in options.items():
            if key not in _SERVICE_OPTIONS:
                raise ValueError(f"option {key}: a service simulation has no such option "
                                 f"(known: {', '.join(_SERVICE_OPTIONS)})")
            changes[_SERVICE_OPTIONS[key]] = value
        config = replace(instance.config, **changes)
        # bounded before the first event: options may lengthen the run past the file's
        check_run(instance.file, config, "days" if "days" in options else "controller.days")
        return simulate_service(config)
    raise TypeError(f"not a service instance: {type(instance).__name__}")


def _simulate_hub(instance: HubInstance, *, seeds: int | None = None, seed: int = 0,
                  sizes: tuple[int, ...] | None = None, **options: Any) -> HubResult:
    if options:
        raise ValueError(f"option {next(iter(options))}: a ModEn-Hub simulation has no such "
                         f"option (known: seeds, seed, sizes)")
    runs = check_seeds(instance.file, seeds) if seeds is not None else instance.runs
    check_hub(instance, tuple(sizes or instance.sizes), runs,
              Section(instance.file, "hub", {}))
    rows = []
    for n in sizes or instance.sizes:
        model = instance.model.with_(n_qpus=int(n))
        for strategy in instance.strategies:
            samples = [simulate_hub(model, strategy, s).summary()
                       for s in run_seeds(seed, int(n), strategy, runs)]
            exact = exact_hub(model, strategy)
            row: dict[str, Any] = {"n_qpus": int(n), "strategy": strategy,
                                   "k": model.attempts(strategy), "p_eff": model.p_eff,
                                   "runs": runs}
            for key, ex in (("success_rate", exact.success_rate),
                            ("attempts_per_request", exact.attempts_per_request),
                            ("hit_rate", exact.hit_rate)):
                ci = mean_ci(x[key] for x in samples)
                row[key] = ci.mean
                # Student t; one run has no interval (not one of width 0)
                row[f"{key}_ci95"] = ci.half_width if ci.n > 1 else math.nan
                row[f"{key}_exact"] = float(ex)
            rows.append(row)
    return HubResult(pd.DataFrame(rows))
