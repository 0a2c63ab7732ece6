"""Options every ``qdcopt`` command that reads an instance shares, and the one loader
that turns them into graph options (refused by non-graph instances)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qdcopt.api import load_instance

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


__all__ = ["JsonOpt", "RandomRequestsOpt", "RequestsOpt", "SeedOpt", "SpacingOpt",
           "load_with_options"]
