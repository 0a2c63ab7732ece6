"""Options the ``qdcopt`` commands share: those of every command that reads an instance,
and the one loader that turns them into graph options (refused by non-graph instances);
the method options (``-o NAME=VALUE``, time limit, threads, seed) and their checks."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from qdcopt.api import load_instance
from qdcopt.solvers.highs import DEFAULT_TIME_LIMIT

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed.")]
RequestsOpt = Annotated[str | None, typer.Option(
    "--requests", help="Requests of a graph file (.gml/.graphml) as node-id pairs, e.g. "
    "'A-B,C-D'. Join ids that contain '-' with '~' or '->' ('New-York~Boston'); separate "
    "pairs with ';' when ids contain ','.")]
RandomRequestsOpt = Annotated[int | None, typer.Option(
    "--random-requests", help="Requests of a graph file: K distinct random node pairs joined "
    "by a path, seeded by --seed (0 when not given).")]
SpacingOpt = Annotated[float | None, typer.Option(
    "--repeater-spacing", help="Graph files: insert repeaters every at most KM km on each "
    "longer link (ids '{u}..{v}#{k}'); TOML instances use repeater_spacing in [physics].")]


def load_with_options(path: Path, requests: str | None, random_requests: int | None,
                      seed: int | None, repeater_spacing: float | None = None) -> Any:
    """Load an instance; the request and repeater options go to graph files (refused for
    others)."""
    graph: dict[str, Any] = {}
    if requests is not None:
        graph["requests"] = requests
    if random_requests is not None:
        graph.update(random_requests=random_requests, seed=0 if seed is None else seed)
    if repeater_spacing is not None:
        graph["repeater_spacing"] = repeater_spacing
    return load_instance(path, **graph)


OptionOpt = Annotated[list[str] | None, typer.Option(
    "--option", "-o", help="Method option NAME=VALUE (repeatable); VALUE is read as JSON "
    "when it parses, else as text.")]
TimeOpt = Annotated[float | None, typer.Option(
    help=f"Time limit per solve, seconds (default {DEFAULT_TIME_LIMIT:g}).")]
ThreadsOpt = Annotated[int | None, typer.Option(help="Solver threads.")]
VerboseOpt = Annotated[bool, typer.Option(
    "--verbose", help="Show the solver's log (on stderr, never on stdout).")]


def parse_options(items: list[str] | None, time_limit: float | None, threads: int | None,
                  seed: int | None) -> dict[str, Any]:
    """Method options from ``-o NAME=VALUE`` and the common flags.

    The flags are checked here (the method's parameter class checks every option again,
    by name, type and range, when the method is known).
    """
    opts: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--option must be NAME=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        if not key.strip():
            raise ValueError(f"--option must be NAME=VALUE, got {item!r}")
        try:
            opts[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            opts[key.strip()] = value
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"--time-limit must be a finite number of seconds > 0, got {time_limit:g}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    if seed is not None and not 0 <= seed < 2**31:
        raise ValueError(f"--seed must be between 0 and {2**31 - 1}, got {seed}")
    for key, value in (("time_limit", time_limit), ("threads", threads), ("seed", seed)):
        if value is not None:
            opts[key] = value
    return opts


__all__ = ["JsonOpt", "OptionOpt", "RandomRequestsOpt", "RequestsOpt", "SeedOpt", "SpacingOpt",
           "ThreadsOpt", "TimeOpt", "VerboseOpt", "load_with_options", "parse_options"]
