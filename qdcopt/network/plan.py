"""Family-B plans: link generation rates, swap flows, request rates and swapping trees.

A plan names nodes and requests by their ids so that it stands on its own as a folder
of CSV files:

* ``requests.csv`` — ``request, rate``: pairs/s delivered to each request;
* ``links.csv`` — ``u, v, rate``: link pairs generated per second;
* ``swaps.csv`` — ``node, left, right, rate``: swaps at ``node`` of pairs
  ``{left, node}`` and ``{node, right}``, pairs of each input consumed per second;
* ``trees.csv`` — ``tree, request, rate``: the swapping trees and their rates;
* ``tree_nodes.csv`` — ``tree, index, u, v, swap_at, left, right, link_rate``: the nodes of
  each tree (index 0 is the root; ``swap_at`` empty and ``left = right = -1`` for leaves,
  whose ``link_rate`` is the link pairs/s the tree draws; ``swap_at`` empty with two
  children for a purification node, whose children both make its pair ``u–v``);
* ``purifications.csv`` (only in plans that purify) — ``u, v, success, rate``:
  purification rounds on pairs ``u–v`` per second, each taking two pairs and keeping one
  with probability ``success``;
* ``fusions.csv`` (only in plans that serve GHZ requests) — ``fusion, request, centre,
  parent, trees, success, rate``: the fusions of every fusion-structure copy
  (``models/ghz.md``): at node ``centre``, taking one pair from each tree listed in
  ``trees`` (tree numbers, space-separated; those trees' ``request`` is the GHZ request)
  and one GHZ state from each fusion whose ``parent`` it is, ``rate`` attempts/s, each
  succeeding with ``success``; ``parent = -1`` for the fusion that makes the request's
  state.  A GHZ request's row in ``requests.csv`` holds its GHZ states/s.

``rate_model`` says how tree rates were set: ``"hyperflow"`` (rates are LP flows),
``"latency"`` (rate = 1 / expected latency by paper 003's eq. 1) or ``"reserved"`` (each
tree row is one copy holding one memory per link end of its route, leaves at the
reserved-memory link rate, rate = 1 / latency; :mod:`qdcopt.network.resources`).

``requests.csv`` may carry a ``reason`` column: why a request gets rate 0 (a plan read
without it has no reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from qdcopt.errors import InstanceError
from qdcopt.network.instance import NetworkInstance
from qdcopt.network.physics import (
    LinkModel,
    SwapTree,
    check_variant,
    link_model,
    swap_gain,
    tree_need,
    tree_werner,
)

HYPERFLOW = "hyperflow"
LATENCY = "latency"
RESERVED = "reserved"
RATE_MODELS = (HYPERFLOW, LATENCY, RESERVED)

TABLE_COLUMNS = {
    "requests": ["request", "rate"],
    "links": ["u", "v", "rate"],
    "swaps": ["node", "left", "right", "rate"],
    "trees": ["tree", "request", "rate"],
    "tree_nodes": ["tree", "index", "u", "v", "swap_at", "left", "right", "link_rate"],
}
PURIFICATION_COLUMNS = ["u", "v", "success", "rate"]
FUSION_COLUMNS = ["fusion", "request", "centre", "parent", "trees", "success", "rate"]
_ID_COLUMNS = {"request", "u", "v", "node", "left", "right", "swap_at"}


@dataclass(frozen=True)
class PlanTreeNode:
    """A node of a plan's tree (ids, not indices).

    Attributes
    ----------
    u, v
        Node ids of the pair.
    swap_at
        Swapping node id, or ``""`` for a leaf or a purification.
    left, right
        Child positions in the tree, ``-1`` for a leaf.
    link_rate
        Leaf: link pairs/s drawn by the tree; swap: 0.
    """

    u: str
    v: str
    swap_at: str = ""
    left: int = -1
    right: int = -1
    link_rate: float = 0.0

    @property
    def is_leaf(self) -> bool:
        """Whether this is a link pair."""
        return self.swap_at == "" and not self.is_purification

    @property
    def is_purification(self) -> bool:
        """Whether this node purifies (no swapping node, two children)."""
        return self.swap_at == "" and (self.left >= 0 or self.right >= 0)


@dataclass(frozen=True)
class PlanTree:
    """A swapping tree of a plan.

    Attributes
    ----------
    tree
        Tree number.
    request
        Request id.
    rate
        Pairs/s.
    nodes
        Its nodes, root first.
    """

    tree: int
    request: str
    rate: float
    nodes: tuple[PlanTreeNode, ...]


@dataclass(frozen=True)
class PlanFusion:
    """A fusion of a plan (ids, not indices; ``models/ghz.md``).

    Attributes
    ----------
    fusion
        Fusion number (unique in the plan).
    request
        GHZ request id.
    centre
        Node id where the inputs' qubits are measured.
    parent
        Number of the fusion that takes this one's GHZ state, ``-1`` for the fusion that
        makes the request's state.
    trees
        Numbers of the trees whose pairs it takes (one pair of each per attempt).
    success
        Success probability of one attempt.
    rate
        Attempts/s.
    """

    fusion: int
    request: str
    centre: str
    parent: int
    trees: tuple[int, ...]
    success: float
    rate: float


@dataclass(frozen=True)
class NetworkPlan:
    """A family-B plan.

    Attributes
    ----------
    method
        Method that made it.
    variant
        Hyperflow variant its flows follow (swap gain; see ``links.swap_gain``).
    rate_model
        ``"hyperflow"`` or ``"latency"``.
    requests
        ``(request id, rate)`` per request.
    links
        ``(u id, v id, rate)`` per link with generation.
    swaps
        ``(node id, left id, right id, rate)`` per swap with flow.
    trees
        The swapping trees.
    reasons
        ``(request id, why)`` for requests no tree can serve.
    repeaters
        The network's inserted repeaters, ``(id, u, v, position, segments, length)``
        each (:mod:`qdcopt.network.topology.repeaters`), kept in ``plan.json``.
    purifications
        ``(u id, v id, success, rate)``: purification rounds per second on pairs
        ``u–v`` that succeed with ``success`` (empty for a plan that never purifies).
    fusions
        The fusions serving GHZ requests (empty for a plan without them).
    """

    family: ClassVar[str] = "network"

    method: str
    variant: str
    rate_model: str
    requests: tuple[tuple[str, float], ...]
    links: tuple[tuple[str, str, float], ...]
    swaps: tuple[tuple[str, str, str, float], ...]
    trees: tuple[PlanTree, ...]
    reasons: tuple[tuple[str, str], ...] = ()
    repeaters: tuple[tuple[str, str, str, int, int, float], ...] = ()
    purifications: tuple[tuple[str, str, float, float], ...] = ()
    fusions: tuple[PlanFusion, ...] = ()

    @property
    def bound_scope(self) -> str:
        """The resource model whose bounds apply to this plan: ``"memories"`` for
        reserved-memory plans, ``"attempts"`` for the attempt-only LP and tree plans."""
        return "memories" if self.rate_model == RESERVED else "attempts"

    def reason(self, request: str) -> str:
        """Why ``request`` gets rate 0 (``""`` when the plan gives no reason)."""
        return dict(self.reasons).get(request, "")

    def to_tables(self) -> dict[str, pd.DataFrame]:
        """The plan as named DataFrames (see the module docstring)."""
        nodes = [(t.tree, i, nd.u, nd.v, nd.swap_at, nd.left, nd.right, nd.link_rate)
                 for t in self.trees for i, nd in enumerate(t.nodes)]
        rows = {
            "requests": list(self.requests),
            "links": list(self.links),
            "swaps": list(self.swaps),
            "trees": [(t.tree, t.request, t.rate) for t in self.trees],
            "tree_nodes": nodes,
        }
        out = {name: pd.DataFrame(rows[name], columns=cols)
               for name, cols in TABLE_COLUMNS.items()}
        if self.reasons:
            out["requests"]["reason"] = [self.reason(rid) for rid, _ in self.requests]
        if self.purifications:
            out["purifications"] = pd.DataFrame(list(self.purifications),
                                                columns=PURIFICATION_COLUMNS)
        if self.fusions:
            out["fusions"] = pd.DataFrame(
                [(f.fusion, f.request, f.centre, f.parent, " ".join(map(str, f.trees)),
                  f.success, f.rate) for f in self.fusions], columns=FUSION_COLUMNS)
        return out

    def meta(self) -> dict[str, Any]:
        """JSON-ready manifest content."""
        meta: dict[str, Any] = {"method": self.method, "variant": self.variant,
                                "rate_model": self.rate_model}
        if self.repeaters:
            meta["repeaters"] = [list(r) for r in self.repeaters]
        return meta


def _read_exact(folder: Path | None, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Re-read a table with every cell as text, so ids such as ``"007"`` stay exact."""
    if folder is not None:
        path = Path(folder) / f"{name}.csv"
        if path.is_file():
            try:
                return pd.read_csv(path, dtype=str, keep_default_na=False)
            except pd.errors.EmptyDataError:
                return pd.DataFrame(columns=TABLE_COLUMNS[name])
    return frame.astype(str) if len(frame) else frame


def _float(value: Any, file: str, field: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InstanceError(file, field, f"must be a number, got {value!r}") from None
    return out


def _int(value: Any, file: str, field: str) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise InstanceError(file, field, f"must be an integer, got {value!r}") from None


def plan_from_tables(tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                     folder: Path | None = None) -> NetworkPlan:
    """Rebuild a plan from its tables (inverse of :meth:`NetworkPlan.to_tables`).

    Raises
    ------
    InstanceError
        When a table or column is missing or a cell is not of its type.
    """
    frames = {}
    for name, cols in TABLE_COLUMNS.items():
        file = f"{folder}/{name}.csv" if folder is not None else f"{name}.csv"
        if name not in tables:
            raise InstanceError(file, "", f"table {name!r} is missing from the plan")
        frame = _read_exact(folder, name, tables[name])
        for c in cols:
            if c not in frame.columns:
                raise InstanceError(file, c, "required column is missing")
        frames[name] = (file, frame)

    def rows(name: str):
        file, frame = frames[name]
        for i, rec in enumerate(frame.to_dict("records")):
            yield file, i, rec

    requests = tuple((str(r["request"]), _float(r["rate"], f, f"[{i}].rate"))
                     for f, i, r in rows("requests"))
    links = tuple((str(r["u"]), str(r["v"]), _float(r["rate"], f, f"[{i}].rate"))
                  for f, i, r in rows("links"))
    swaps = tuple((str(r["node"]), str(r["left"]), str(r["right"]),
                   _float(r["rate"], f, f"[{i}].rate")) for f, i, r in rows("swaps"))
    nodes: dict[int, list[tuple[int, PlanTreeNode]]] = {}
    for f, i, r in rows("tree_nodes"):
        tree = _int(r["tree"], f, f"[{i}].tree")
        nodes.setdefault(tree, []).append((
            _int(r["index"], f, f"[{i}].index"),
            PlanTreeNode(u=str(r["u"]), v=str(r["v"]), swap_at=str(r["swap_at"]),
                         left=_int(r["left"], f, f"[{i}].left"),
                         right=_int(r["right"], f, f"[{i}].right"),
                         link_rate=_float(r["link_rate"], f, f"[{i}].link_rate"))))
    trees = []
    for f, i, r in rows("trees"):
        tree = _int(r["tree"], f, f"[{i}].tree")
        listed = sorted(nodes.get(tree, []), key=lambda p: p[0])
        trees.append(PlanTree(tree=tree, request=str(r["request"]),
                              rate=_float(r["rate"], f, f"[{i}].rate"),
                              nodes=tuple(nd for _, nd in listed)))
    variant = str(manifest.get("variant", "published"))
    rate_model = str(manifest.get("rate_model", HYPERFLOW))
    reasons = tuple((str(r["request"]), str(r["reason"])) for _, _, r in rows("requests")
                    if str(r.get("reason", "") or "").strip())
    purifications = []
    if "purifications" in tables:
        file = f"{folder}/purifications.csv" if folder is not None else "purifications.csv"
        frame = tables["purifications"]
        if folder is not None and (Path(folder) / "purifications.csv").is_file():
            frame = pd.read_csv(Path(folder) / "purifications.csv", dtype=str,
                                keep_default_na=False)
        for c in PURIFICATION_COLUMNS:
            if c not in frame.columns:
                raise InstanceError(file, c, "required column is missing")
        for i, r in enumerate(frame.to_dict("records")):
            purifications.append((str(r["u"]), str(r["v"]),
                                  _float(r["success"], file, f"[{i}].success"),
                                  _float(r["rate"], file, f"[{i}].rate")))
    fusions = _fusions(tables, folder)
    repeaters = []
    for i, row in enumerate(manifest.get("repeaters") or []):
        if not (isinstance(row, list) and len(row) == 6):
            raise InstanceError(f"{folder}/plan.json" if folder is not None else "plan.json",
                                f"repeaters[{i}]", "must be [id, u, v, position, segments, "
                                f"length], got {row!r}")
        repeaters.append((str(row[0]), str(row[1]), str(row[2]),
                          _int(row[3], "plan.json", f"repeaters[{i}]"),
                          _int(row[4], "plan.json", f"repeaters[{i}]"),
                          _float(row[5], "plan.json", f"repeaters[{i}]")))
    return NetworkPlan(method=str(manifest.get("method", "")), variant=variant,
                       rate_model=rate_model, requests=requests, links=links, swaps=swaps,
                       trees=tuple(trees), reasons=reasons, repeaters=tuple(repeaters),
                       purifications=tuple(purifications), fusions=fusions)


def _fusions(tables: dict[str, pd.DataFrame], folder: Path | None) -> tuple[PlanFusion, ...]:
    """The ``fusions`` table, if the plan has one."""
    if "fusions" not in tables:
        return ()
    file = f"{folder}/fusions.csv" if folder is not None else "fusions.csv"
    frame = tables["fusions"]
    if folder is not None and (Path(folder) / "fusions.csv").is_file():
        frame = pd.read_csv(Path(folder) / "fusions.csv", dtype=str, keep_default_na=False)
    for c in FUSION_COLUMNS:
        if c not in frame.columns:
            raise InstanceError(file, c, "required column is missing")
    out = []
    for i, r in enumerate(frame.to_dict("records")):
        text = str(r["trees"]).strip()
        try:
            trees = tuple(int(x) for x in text.split()) if text else ()
        except ValueError:
            raise InstanceError(file, f"[{i}].trees", "must be tree numbers separated by "
                                f"spaces, got {text!r}") from None
        out.append(PlanFusion(fusion=_int(r["fusion"], file, f"[{i}].fusion"),
                              request=str(r["request"]), centre=str(r["centre"]),
                              parent=_int(r["parent"], file, f"[{i}].parent"), trees=trees,
                              success=_float(r["success"], file, f"[{i}].success"),
                              rate=_float(r["rate"], file, f"[{i}].rate")))
    return tuple(out)


def plan_from_trees(instance: NetworkInstance, trees: list[SwapTree] | tuple[SwapTree, ...],
                    *, method: str, variant: str, rate_model: str,
                    model: LinkModel | None = None,
                    reasons: dict[str, str] | None = None) -> NetworkPlan:
    """A plan whose flows are exactly what its trees use.

    Link rates are the pairs the trees' leaves draw; swap flows are the trees' swap flows
    in the hyperflow view (a swap supplying ``N`` pairs/s consumes ``N / γ_w`` of each
    input); request rates are the sums of their trees' rates.

    Parameters
    ----------
    instance
        The network.
    trees
        Trees with rates and leaf link rates.
    method, variant, rate_model
        Recorded in the plan.
    model
        Link model (computed when not given).
    reasons
        Request id → why no tree can serve it.

    Returns
    -------
    NetworkPlan
    """
    check_variant(variant)
    model = model if model is not None else link_model(instance)
    gamma = swap_gain(model.swap_success, variant)
    ids = [node.id for node in instance.nodes]
    link_rate = np.zeros(len(instance.links))
    swap_rate: dict[tuple[int, int, int], float] = {}
    # a tree whose request index is past the two-party requests is a branch of GHZ
    # request ``index − len(requests)``: its pairs go to a fusion, not to a request rate
    request_ids = [r.id for r in instance.requests] + [g.id for g in instance.ghz]
    request_rate = np.zeros(len(request_ids))
    purify_rate: dict[tuple[int, int, float], float] = {}
    plan_trees = []
    for k, tree in enumerate(trees):
        request_rate[tree.request] += tree.rate
        success = tree_werner(tree.nodes, instance)[1] if tree.purifies else None
        _, flow = tree_need(tree, gamma, success)
        pnodes = []
        for i, (node, f) in enumerate(zip(tree.nodes, flow, strict=True)):
            if node.is_leaf:
                link_rate[instance.find_link(node.u, node.v)] += node.link_rate
                pnodes.append(PlanTreeNode(u=ids[node.u], v=ids[node.v],
                                           link_rate=float(node.link_rate)))
            elif node.is_purification:
                assert success is not None
                key3 = (min(node.u, node.v), max(node.u, node.v), float(success[i]))
                purify_rate[key3] = purify_rate.get(key3, 0.0) + tree.rate * f
                pnodes.append(PlanTreeNode(u=ids[node.u], v=ids[node.v], left=node.left,
                                           right=node.right))
            else:
                key = (node.swap_at, min(node.u, node.v), max(node.u, node.v))
                swap_rate[key] = swap_rate.get(key, 0.0) + tree.rate * f
                pnodes.append(PlanTreeNode(u=ids[node.u], v=ids[node.v],
                                           swap_at=ids[node.swap_at], left=node.left,
                                           right=node.right))
        plan_trees.append(PlanTree(tree=k, request=request_ids[tree.request],
                                   rate=float(tree.rate), nodes=tuple(pnodes)))
    return NetworkPlan(
        method=method, variant=variant, rate_model=rate_model,
        requests=tuple((r.id, float(request_rate[i])) for i, r in enumerate(instance.requests)),
        links=tuple((ids[link.u], ids[link.v], float(link_rate[i]))
                    for i, link in enumerate(instance.links) if link_rate[i] > 0),
        swaps=tuple((ids[w], ids[u], ids[v], float(x))
                    for (w, u, v), x in sorted(swap_rate.items()) if x > 0),
        trees=tuple(plan_trees),
        reasons=tuple(sorted((reasons or {}).items())),
        repeaters=tuple(tuple(r.as_row()) for r in instance.repeaters),
        purifications=tuple((ids[u], ids[v], p, float(x))
                            for (u, v, p), x in sorted(purify_rate.items()) if x > 0))


def plan_from_flows(instance: NetworkInstance, trees: list[SwapTree], *, method: str,
                    variant: str, link_rate: np.ndarray, request_rate: np.ndarray,
                    swap_w: np.ndarray, swap_u: np.ndarray, swap_v: np.ndarray,
                    swap_rate: np.ndarray) -> NetworkPlan:
    """A plan holding an LP's flows as solved, with its decomposition into trees."""
    ids = [node.id for node in instance.nodes]
    base = plan_from_trees(instance, trees, method=method, variant=variant,
                           rate_model=HYPERFLOW)
    return NetworkPlan(
        method=method, variant=variant, rate_model=HYPERFLOW,
        requests=tuple((r.id, float(request_rate[i])) for i, r in enumerate(instance.requests)),
        links=tuple((ids[link.u], ids[link.v], float(link_rate[i]))
                    for i, link in enumerate(instance.links) if link_rate[i] > 0),
        swaps=tuple((ids[w], ids[u], ids[v], float(x)) for w, u, v, x in
                    zip(swap_w.tolist(), swap_u.tolist(), swap_v.tolist(), swap_rate.tolist(),
                        strict=True) if x > 0),
        trees=base.trees)
