"""Self-contained HTML pages: one plan (``qdcopt plot --out x.html``) or a comparison
(``qdcopt report``).

Why matplotlib SVG and a few lines of our own script, not plotly or bokeh: the pictures
are already matplotlib figures (the same code draws the PNG, the SVG and the page, so
they cannot disagree), the page needs no new dependency, and nothing of a library is
embedded — plotly's offline bundle alone is several megabytes and bokeh's inline
resources about one, before any data.  The page of a plan with 10 059 deliveries (its
Gantt, 10⁴ request windows, 5 000 reconfigurations and the memory of each QPU) is
2.4 MB, written in about 1.3 s, and headless Chromium opens it and takes a screenshot in
2–3 s, its own start included (24 MB at 10⁵ deliveries; ``python
benchmarks/bench_plotting.py`` prints these figures); the script below zooms and pans
each picture with the mouse wheel and a drag (double click resets), which is what a
dense Gantt needs: SVG stays sharp at any zoom.  The page loads nothing from the network
(no CDN, no font, no script source), so it reads offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path

SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "qdcopt"}
"""Text stays text (smaller, searchable) and element ids are stable between runs."""

SUMMARY_COLUMNS = ("method", "valid", "objective", "status", "bound", "gap_to_best_bound",
                   "time_s", "flag", "promised_rate", "delivered_rate",
                   "delivered_over_promised")
"""Columns of a comparison table shown first (those present); the rest fold out."""


COMPACT_FROM = 50
"""Collections of at least this many items are written as one SVG path (see below)."""


def svg_text(fig: Figure) -> str:
    """The figure as an ``<svg>`` element to place inline in a page.

    matplotlib writes every item of a collection as its own element with its own style
    (about 300 bytes a bar); a Gantt's bars share one style per collection, so each such
    collection of :data:`COMPACT_FROM` items or more is written as a single path of many
    pieces instead (about 60 bytes a bar) — the same drawing, five times smaller, still
    sharp at any zoom.  The figure is left as it was.
    """
    swaps = _compact(fig)
    try:
        buf = io.StringIO()
        with matplotlib.rc_context(SVG_RC):
            fig.savefig(buf, format="svg", metadata={"Date": None})
    finally:
        for coll, patch in swaps:
            patch.remove()
            coll.set_visible(True)
    text = buf.getvalue()
    return _PATH_DATA.sub(_short_path, text[text.index("<svg"):])


_PATH_DATA = re.compile(r' d="([^"]*)"')
_NUMBER = re.compile(r"(-?\d+\.\d\d)\d+")


def _short_path(match: re.Match[str]) -> str:
    """Path data with coordinates to 1/100 of a point (finer than any zoom shows) and
    no line breaks: a third of matplotlib's text."""
    data = _NUMBER.sub(r"\1", match.group(1))
    return ' d="' + " ".join(data.split()) + '"'


def _ticks(paths: list[Path]) -> Path | None:
    """Bars of zero width (ticks) as one path of vertical strokes, half the text of their
    outlines; None when some bar has a width."""
    if any(len(p.vertices) != 5 for p in paths):
        return None
    v = np.stack([p.vertices for p in paths])
    if np.any(v[:, :4, 0] != v[:, :1, 0]):
        return None
    pts = v[:, [0, 2], :].reshape(-1, 2)
    codes = np.tile([Path.MOVETO, Path.LINETO], len(paths)).astype(Path.code_type)
    return Path(pts, codes)


def _compact(fig: Figure) -> list[tuple[Any, PathPatch]]:
    """Hide each large single-style collection of ``fig`` behind one compound path patch;
    returns the pairs to undo."""
    swaps = []
    for ax in fig.axes:
        for coll in list(ax.collections):
            if not isinstance(coll, (PolyCollection, LineCollection)) or not coll.get_visible():
                continue
            paths = coll.get_paths()
            faces, edges = coll.get_facecolor(), coll.get_edgecolor()
            if (len(paths) < COMPACT_FROM or len(faces) > 1 or len(edges) > 1
                    or coll.get_array() is not None or len(coll.get_linewidth()) > 1
                    or len(coll.get_offsets()) > 1):
                continue
            lines = isinstance(coll, LineCollection)
            compound = _ticks(paths)
            lines = lines or compound is not None
            if compound is None:
                compound = Path.make_compound_path(*paths)
            patch = PathPatch(compound, transform=coll.get_transform(),
                              facecolor="none" if lines or not len(faces) else faces[0],
                              edgecolor=edges[0] if len(edges) else "none",
                              linewidth=coll.get_linewidth()[0], zorder=coll.get_zorder(),
                              fill=not lines and len(faces) > 0,
                              clip_path=ax.patch, clip_on=coll.get_clip_on())
            patch.set_gid(coll.get_gid())  # the SVG group keeps the collection's name
            ax.add_artist(patch)  # the collection's limits stand; add_patch would recount
            coll.set_visible(False)
            swaps.append((coll, patch))
    return swaps


def png_uri(fig: Figure, dpi: int = 100) -> str:
    """The figure as a ``data:image/png;base64,…`` address."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


@dataclass
class Section:
    """A part of a page: a heading, paragraphs of text (escaped), and raw HTML blocks
    (tables, pictures) made by this module."""

    title: str
    text: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)


def picture(fig: Figure, caption: str = "") -> str:
    """A zoomable picture block holding the figure's SVG."""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure class="pic"><div class="zoom" title="wheel: zoom · drag: pan · '
            f'double click: reset">{svg_text(fig)}</div>{cap}</figure>')


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """A plain HTML table of ``frame`` (numbers to six significant digits, ``NaN`` blank)."""
    cols = [c for c in (columns or frame.columns) if c in frame.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = []
    for rec in frame[cols].itertuples(index=False):
        rows.append("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in rec) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1150px;color:#222;
padding:0 1em}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure.pic{margin:.5em 0}.zoom{border:1px solid #ddd;overflow:hidden;cursor:grab;
background:#fff}.zoom svg{display:block;max-width:100%;height:auto}
figcaption,.note{font-size:.85em;color:#555}details{margin:.5em 0}
"""

# Wheel zooms around the pointer, a drag pans, a double click resets: the picture's SVG
# viewBox is moved, so the drawing stays sharp.  No library, no network.
_SCRIPT = """
(function(){
  var boxes = document.querySelectorAll('.zoom');
  boxes.forEach(function(box){
    var svg = box.querySelector('svg'); if(!svg){return;}
    var w = parseFloat(svg.getAttribute('width')), h = parseFloat(svg.getAttribute('height'));
    if(!svg.getAttribute('viewBox')){svg.setAttribute('viewBox','0 0 '+w+' '+h);}
    var home = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number), vb = home.slice();
    function set(){svg.setAttribute('viewBox', vb.join(' '));}
    function point(e){var r = svg.getBoundingClientRect();
      return [vb[0] + (e.clientX - r.left) / r.width * vb[2],
              vb[1] + (e.clientY - r.top) / r.height * vb[3]];}
    box.addEventListener('wheel', function(e){
      e.preventDefault(); var p = point(e), f = e.deltaY < 0 ? 0.8 : 1.25;
      vb = [p[0] - (p[0] - vb[0]) * f, p[1] - (p[1] - vb[1]) * f, vb[2] * f, vb[3] * f];
      set();}, {passive:false});
    var drag = null;
    box.addEventListener('mousedown', function(e){drag = [e.clientX, e.clientY, vb.slice()];
      box.style.cursor = 'grabbing';});
    window.addEventListener('mouseup', function(){drag = null; box.style.cursor = '';});
    window.addEventListener('mousemove', function(e){ if(!drag){return;}
      var r = svg.getBoundingClientRect();
      vb = [drag[2][0] - (e.clientX - drag[0]) / r.width * drag[2][2],
            drag[2][1] - (e.clientY - drag[1]) / r.height * drag[2][3], drag[2][2], drag[2][3]];
      set();});
    box.addEventListener('dblclick', function(){vb = home.slice(); set();});
  });
  // how many pictures took the zoom: lets a headless browser check the script ran
  document.body.setAttribute('data-zoom-ready', String(boxes.length));
})();
"""


def page(title: str, sections: Iterable[Section], intro: str = "") -> str:
    """A whole self-contained HTML page (style and script inline, nothing fetched)."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if intro:
        parts.append(f'<p class="note">{html.escape(intro)}</p>')
    for sec in sections:
        parts.append(f"<section><h2>{html.escape(sec.title)}</h2>")
        parts.extend(f"<p>{html.escape(t)}</p>" for t in sec.text)
        parts.extend(sec.blocks)
        parts.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(parts) + f"<script>{_SCRIPT}</script></body></html>\n")


def plan_page(instance: Any, plan: Any, fig: Figure) -> str:
    """The page ``qdcopt plot --out FILE.html`` writes: one plan's pictures."""
    name = getattr(instance, "name", "")
    method = getattr(plan, "method", "")
    return page(f"{name}: plan of {method}",
                [Section(f"{instance.family} plan", blocks=[picture(fig)])],
                intro="Wheel to zoom, drag to pan, double click to reset.")


@dataclass
class MethodPlan:
    """One method's row of a comparison with its plan (``None`` when no plan was saved or
    it could not be drawn, ``why`` saying which)."""

    method: str
    plan: Any = None
    why: str = ""


def compare_page(name: str, table: pd.DataFrame, instance: Any, plans: list[MethodPlan],
                 source: str = "", note: str = "") -> str:
    """The page ``qdcopt report`` writes for a comparison folder.

    Parameters
    ----------
    name
        The instance's name.
    table
        ``compare.csv``: one row per method.
    instance
        The instance the plans are for, or None (the table only, with ``note``).
    plans
        Each method's plan, in the table's order.
    source
        The folder the comparison was read from, as the user named it.
    note
        Why plans are not drawn, when they are not.
    """
    from qdcopt.plotting import plan_figure

    sections = []
    summary = Section("Methods: validated objective, bound and gap", blocks=[
        table_html(table, SUMMARY_COLUMNS),
        "<details><summary>every column</summary>" + table_html(table) + "</details>"])
    if "gap_to_best_bound" in table.columns:
        summary.text.append("gap_to_best_bound: distance of each validated objective to the "
                            "best proven bound of the comparison (0: proven best).")
    sections.append(summary)
    delivered = _delivery_figure(table)
    if delivered is not None:
        sections.append(Section("Plan against delivery", text=[
            "Promised rate of each plan beside what seeded runs of it delivered (95 % "
            "interval)."], blocks=[picture(delivered)]))
    for item in plans:
        sec = Section(f"Plan of {item.method}")
        if item.plan is None or instance is None:
            sec.text.append(item.why or note or "no plan to draw")
        else:
            sec.blocks.append(picture(plan_figure(instance, item.plan)))
        sections.append(sec)
    intro = f"Comparison of {len(table)} methods" + (f", read from {source}" if source else "")
    if note:
        intro += f". {note}"
    return page(f"{name}: comparison", sections, intro=intro + ".")


RESULT_ROWS = 12
"""Rows of each study table shown on a results page (the rest stay in the CSV)."""


def readme_rows(readme: FilePath) -> dict[str, tuple[str, str]]:
    """File name → (the command that made it, what it shows), from the table rows of a
    ``results/README.md`` (``| `a.csv`, `a.png` | command | description |``)."""
    out: dict[str, tuple[str, str]] = {}
    if not readme.is_file():
        return out
    for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) < 3 or "`" not in cells[0]:
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            out[name] = (cells[1].replace("`", ""), cells[2].replace("`", ""))
    return out


def results_page(folder: FilePath, title: str = "") -> str:
    """The page ``qdcopt report`` writes for a folder of study results: every PNG
    embedded, with the command that made it and what it shows (from the folder's
    ``README.md``), and the head of the CSV tables beside it."""
    notes = readme_rows(folder / "README.md")
    sections = []
    pngs = sorted(folder.glob("*.png"))
    for png in pngs:
        stem = png.stem
        made = notes.get(png.name)
        sec = Section(png.name)
        if made:
            sec.text += [f"Made by: {made[0]}", made[1]]
        uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
        sec.blocks.append(f'<figure class="pic"><img alt="{html.escape(png.name)}" '
                          f'src="{uri}" style="max-width:100%"></figure>')
        for csv in sorted(folder.glob(f"{stem}*.csv")):
            try:
                frame = pd.read_csv(csv, nrows=RESULT_ROWS)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
                continue
            sec.blocks.append(f"<details><summary>{html.escape(csv.name)}: first "
                              f"{len(frame)} rows</summary>{table_html(frame)}</details>")
        sections.append(sec)
    intro = f"{len(pngs)} figures read from {folder}"
    return page(title or f"results: {folder.name}", sections, intro=intro + ".")


def _delivery_figure(table: pd.DataFrame) -> Figure | None:
    """Promised beside delivered per method, when the comparison ran ``--simulate``."""
    if not {"promised_rate", "delivered_rate"} <= set(table.columns):
        return None
    frame = table[table["delivered_rate"].notna()]
    if frame.empty:
        return None
    from qdcopt.plotting.network import delivery

    rows = pd.DataFrame({"request": frame["method"].astype(str),
                         "promised_rate": frame["promised_rate"].astype(float),
                         "delivered_rate": frame["delivered_rate"].astype(float),
                         "delivered_rate_low": frame.get("delivered_low",
                                                         frame["delivered_rate"]).astype(float),
                         "delivered_rate_high": frame.get("delivered_high",
                                                          frame["delivered_rate"]).astype(float)})
    ax = delivery(rows)
    ax.set_title("delivered (95 % interval) beside promised, total per method", fontsize=10)
    return ax.figure


def json_summary(path: FilePath, **fields: Any) -> str:
    """A JSON line for ``--json``: the file written and what it holds."""
    return json.dumps({"out": str(path), **fields}, indent=2)
