"""The ``simulate`` command: an instance run over time in the seeded event engine,
delivered beside promised."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from qdcopt.api import check_plan_for, load_plan, simulate
from qdcopt.cli.console import INTERRUPTED, CommandExit, err, fmt, guard, out, say
from qdcopt.cli.options import (
    JsonOpt,
    OptionOpt,
    RandomRequestsOpt,
    RequestsOpt,
    SeedOpt,
    SpacingOpt,
    load_with_options,
    parse_options,
)
from qdcopt.runs import interrupt
from qdcopt.tables import check_output, staging


@guard
def simulate_cmd(
    instance: Annotated[Path, typer.Argument(help="Instance file.")],
    method: Annotated[str | None, typer.Option(
        "--method", "-m", help="Family B: method whose plan is executed (default lp).")] = None,
    plan_dir: Annotated[Path | None, typer.Option(
        "--plan", help="Family B: execute this plan folder instead of solving.")] = None,
    policy: Annotated[str | None, typer.Option(help=(
        "Run-time policy: family B scoring (default), fixed, oldest, …; family D the "
        "interval scheduler, edf (default) or milp."))] = None,
    duration: Annotated[float | None, typer.Option(
        help="Family B: simulated seconds per run (default 100).")] = None,
    days: Annotated[float | None, typer.Option(
        help="Family D demand service: simulated days.")] = None,
    admission: Annotated[str | None, typer.Option(
        help="Family D demand service: admission rule (utilisation or schedule).")] = None,
    seeds: Annotated[int | None, typer.Option(
        help="Families B and C, and the ModEn-Hub: runs, with seeds SEED, SEED+1, … "
        "(default 10; the hub: its runs). The demand service is one run per --seed.")] = None,
    seed: SeedOpt = None,
    option: OptionOpt = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write simulate.csv (and simulate.json) here.")] = None,
    requests: RequestsOpt = None,
    random_requests: RandomRequestsOpt = None,
    repeater_spacing: SpacingOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run INSTANCE over time in the seeded event engine: delivered beside promised.

    Family B executes a plan (policies, GEM, pre-distribution), family C runs DQP or ESP,
    family D runs the ModEn-Hub beside its exact values or the demand service for days.
    """
    if out_dir is not None:
        check_output(out_dir)
    if plan_dir is not None and method is not None:
        raise ValueError(f"--plan {plan_dir} and -m {method} exclude each other: --plan "
                         "executes a saved plan, -m solves the instance anew")
    if seeds is not None and seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    for flag, value in (("--duration", duration), ("--days", days)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ValueError(f"{flag} must be a finite number > 0, got {value:g}")
    parse_options(None, None, None, seed)  # --seed: the rule every command states
    extra = parse_options(option, None, None, None)
    given = {"method": method, "policy": policy, "duration": duration, "days": days,
             "admission": admission, "seeds": seeds}
    for key in extra:
        if key in (*given, "plan", "seed"):
            raise ValueError(f"-o {key}: give it as --{key}, not as an option")
    inst = load_with_options(instance, requests, random_requests, seed, repeater_spacing)
    if seeds is not None and type(inst).__name__ == "ServiceInstance":
        raise ValueError(f"--seeds: {instance} is a demand-service instance, simulated once "
                         "per --seed (run again with another --seed); --seeds is for network, "
                         "link-layer and ModEn-Hub instances")
    extra = _typed_simulate_options(inst, extra)
    # only what the user gave: each family has its own defaults and refuses the rest
    opts = {k: v for k, v in given.items() if v is not None}
    if plan_dir is not None:
        opts["plan"], _ = load_plan(plan_dir)
        check_plan_for(plan_dir, inst)
    # Ctrl-C: the runs (seeds) that ended are kept, reported and written, and the family
    # records the stop; one that comes before the first run ends leaves nothing to keep
    interrupt.clear()
    try:
        with err.status("simulating…"):
            result = simulate(inst, seed=0 if seed is None else seed, **opts, **extra)
    except KeyboardInterrupt:
        say(err, ("interrupted:", "bold yellow"), " stopped before the first run ended; "
            "nothing was " + ("written" if out_dir is not None else "printed"))
        raise CommandExit(INTERRUPTED) from None
    stopped = interrupt.requested()
    interrupt.clear()
    frame = result.to_frame()
    files = []
    if out_dir is not None:
        with staging(out_dir) as tmp:
            frame.to_csv(tmp / "simulate.csv", index=False)
            (tmp / "simulate.json").write_text(json.dumps(result.to_dict(), indent=2))
        files = [out_dir / "simulate.csv", out_dir / "simulate.json"]
    if stopped:
        kept = getattr(result, "seeds", None) or getattr(result, "rows", None)
        runs = f"the {len(kept)} run(s)" if isinstance(kept, tuple) else "the runs"
        say(err, ("interrupted:", "bold yellow"), f" kept {runs} that ended"
            + (f", written to {out_dir}" if out_dir is not None else ""))
    if as_json:
        print(json.dumps({**result.to_dict(), "files": [str(f) for f in files],
                          "interrupted": stopped}, indent=2))
        if stopped:
            raise CommandExit(INTERRUPTED)
        return
    t = Table(title=f"simulate {inst.name}: " + ", ".join(
        f"{k} {v}" for k, v in given.items() if v is not None))
    short = {"promised_rate": "promised/s", "delivered_rate": "delivered/s",
             "delivered_rate_low": "ci low", "delivered_rate_high": "ci high",
             "delivered_over_promised": "deliv/prom", "delivered_pairs": "pairs",
             "promised_latency_s": "eq.1 lat s", "latency_mean_s": "latency s",
             "latency_p95_s": "p95 s", "promised_fidelity": "plan F",
             "fidelity_mean": "fidelity",
             "discarded_pairs": "discarded", "memory_occupancy": "memory"}
    cols = [c for c in frame.columns if c not in {"policy", "method", "seeds"}]
    for c in cols:
        t.add_column(short.get(c, c), justify="left" if c == "request" else "right")
    for _, row in frame.iterrows():
        t.add_row(*[fmt(row[c]) for c in cols])
    out.print(t)
    for f in files:
        out.print(f"wrote {f}")
    if stopped:
        raise CommandExit(INTERRUPTED)


def _typed_simulate_options(inst: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The ``-o`` options of ``simulate`` checked against the types of the settings they
    set (``early_discard=maybe`` is refused, not passed on as a text); names a family does
    not know are left to it, which refuses them with its list of options."""
    import typing

    from qdcopt.params import check_typed

    types: dict[str, Any] = {}
    if inst.family == "network":
        from qdcopt.network.runtime import RuntimeConfig

        types = typing.get_type_hints(RuntimeConfig)
    elif inst.family == "service":
        from qdcopt.service.demand.config import ServiceConfig
        from qdcopt.service.instance import HubInstance
        from qdcopt.service.simulation.simulate import _SERVICE_OPTIONS

        if isinstance(inst, HubInstance):
            types = {"sizes": tuple[int, ...]}
        else:
            hints = typing.get_type_hints(ServiceConfig)
            types = {k: hints[f] for k, f in _SERVICE_OPTIONS.items() if f in hints}
    return {k: check_typed(k, v, types[k]) if k in types else v for k, v in options.items()}
