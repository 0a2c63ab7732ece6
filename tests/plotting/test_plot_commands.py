"""``plot_plan``, ``plan_figure`` and the commands ``qdcopt plot`` and ``qdcopt report``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.plotting import plan_figure, plot_plan, subplots
from qdcopt.plotting.figures import find

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "instances" / "tiny" / "double_switch.toml"
DIAMOND = ROOT / "instances" / "network" / "diamond.toml"
runner = CliRunner()


@pytest.mark.parametrize(("fixture", "label", "panels"), [
    ("datacenter_tiny", "deliveries", 2), ("network_diamond", "trees", 1),
    ("linklayer_star", "generating", 2), ("service_star", "pgas", 1)])
def test_plot_plan_draws_each_familys_main_picture(request, fixture, label, panels):
    inst, plan = request.getfixturevalue(fixture)
    _, ax = subplots()
    assert plot_plan(inst, plan, ax=ax) is ax
    assert find(ax, label) is not None
    assert len(plan_figure(inst, plan).axes) >= panels


def test_a_plan_of_another_family_is_refused(datacenter_tiny, network_diamond):
    with pytest.raises(ValueError, match="a datacenter plan cannot be drawn on a network"):
        plot_plan(network_diamond[0], datacenter_tiny[1])


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("plans")
    for path, method in ((TINY, "edf"), (DIAMOND, "lp")):
        inst = qdcopt.load_instance(path)
        plan, info = qdcopt.solve(inst, method)
        qdcopt.save_plan(plan, folder / path.stem, info, instance=inst)
    return folder


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html"])
def test_plot_writes_the_file_its_suffix_names(plans, tmp_path, suffix):
    out = tmp_path / "sub" / f"plan{suffix}"
    res = runner.invoke(app, ["plot", str(TINY), str(plans / "double_switch"), "--out",
                              str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"out": str(out), "family": "datacenter",
                                      "method": "edf"}
    head = out.read_bytes()[:64]
    if suffix == ".png":
        assert head.startswith(b"\x89PNG")
    elif suffix == ".svg":
        assert b"<svg" in out.read_bytes()[:2000]
    else:
        text = out.read_text()
        assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 1
        assert not re.search(r"(src|href)=\"https?:", text)  # nothing fetched
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]  # no leftovers


def test_plot_simulate_adds_delivered_beside_promised(plans, tmp_path):
    out = tmp_path / "net.svg"
    res = runner.invoke(app, ["plot", str(DIAMOND), str(plans / "diamond"), "--out", str(out),
                              "--simulate", "--duration", "1", "--seeds", "2"])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "delivered (95 % interval" in text and "promised" in text


def _refused(args: list[str], *needles: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in res.stderr, res.stderr


def test_plot_refuses_bad_input_naming_file_field_and_rule(plans, tmp_path):
    plan = str(plans / "double_switch")
    _refused(["plot", str(DIAMOND), plan, "--out", str(tmp_path / "x.png")],
             "plan.json: family:", "datacenter plan", "network instance")
    _refused(["plot", str(TINY), str(tmp_path), "--out", str(tmp_path / "x.png")],
             "plan.json: no plan folder here")
    _refused(["plot", str(TINY), plan, "--out", str(tmp_path)],
             "is an existing folder", "nothing was written")
    (tmp_path / "file.png").write_bytes(b"keep")
    _refused(["plot", str(TINY), plan, "--out", str(tmp_path / "file.png" / "x.png")],
             "lies under the file", "nothing was written")
    _refused(["plot", str(TINY), plan, "--out", str(tmp_path / "x.jpg")],
             "must end in .png, .svg, .pdf, .html", "'.jpg'")
    _refused(["plot", str(TINY), plan, "--out", str(tmp_path / "x.png"), "--simulate"],
             "--simulate", "datacenter instance")
    other = tmp_path / "other.toml"
    other.write_text(TINY.read_text().replace('t_need = "8 ns"', 't_need = "9 ns"', 1))
    _refused(["plot", str(other), plan, "--out", str(tmp_path / "x.png")],
             "plan.json: instance:", "fingerprint")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.png", "other.toml"]
    assert (tmp_path / "file.png").read_bytes() == b"keep"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compare") / "tiny"
    res = runner.invoke(app, ["compare", str(TINY), "--methods", "edf,milp", "--out",
                              str(folder)])
    assert res.exit_code == 0, res.output
    return folder


def test_report_finds_the_instance_the_plans_record(comparison, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the instance is looked up under instances/
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["report", str(comparison), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"out": str(out), "methods": 2, "plans_drawn": 2}
    text = out.read_text()
    assert text.count("<svg") == 2 and "Plan of milp" in text and "Plan of edf" in text
    assert "<th>gap_to_best_bound</th>" in text and "<th>bound</th>" in text


def test_report_without_its_instance_keeps_the_table(comparison, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no instances/ here
    res = runner.invoke(app, ["report", str(comparison), "--out", "r.html"])
    assert res.exit_code == 0, res.output
    assert "give it with --instance" in res.stderr
    text = (tmp_path / "r.html").read_text()
    assert "<svg" not in text and "<td>milp</td>" in text


def test_report_refuses_what_is_no_comparison(comparison, tmp_path):
    _refused(["report", str(tmp_path), "--out", str(tmp_path / "r.html")],
             "compare.csv: no comparison table here")
    _refused(["report", str(comparison), "--out", str(tmp_path / "r.png")],
             "must end in .html")
    _refused(["report", str(comparison), "--out", str(tmp_path / "r.html"), "--instance",
              str(DIAMOND)], "plan.json: family:")
    assert list(tmp_path.iterdir()) == []


def test_page_svg_writes_each_collection_as_one_path_and_leaves_the_figure(datacenter_default):
    import io

    from qdcopt.plotting.report import svg_text

    inst, plan = datacenter_default
    fig = plan_figure(inst, plan)
    text = svg_text(fig)
    group = re.search(r'<g id="deliveries">\s*<path d="([^"]*)"', text)
    assert group is not None and group.group(1).count("M") == plan.n_accepted
    windows = re.search(r'<g id="windows">\s*<path d="([^"]*)"', text)
    assert windows is not None and windows.group(1).count("z") == len(inst.requests)
    assert all(c.get_visible() for ax in fig.axes for c in ax.collections)
    assert not any(p.get_gid() == "deliveries" for ax in fig.axes for p in ax.patches)
    plain = io.StringIO()
    fig.savefig(plain, format="svg")
    assert len(text) < len(plain.getvalue()) / 2


def test_report_of_a_simulated_comparison_shows_plan_against_delivery(tmp_path):
    folder = tmp_path / "diamond"
    res = runner.invoke(app, ["compare", str(DIAMOND), "--methods", "lp", "--simulate",
                              "--duration", "1", "--seeds", "2", "--out", str(folder)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(folder), "--out", str(out), "--instance",
                              str(DIAMOND)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    assert "Plan against delivery" in text and "<th>delivered_rate</th>" in text
    assert text.count("<svg") == 2  # delivered beside promised, and the plan


def test_report_of_study_results_embeds_each_figure_with_its_command(tmp_path):
    res = tmp_path / "res"
    res.mkdir()
    fig, ax = subplots()
    ax.plot([0, 1], [1, 2])
    fig.savefig(res / "fig1.png")
    (res / "fig1.csv").write_text("x,y\n0,1\n1,2\n")
    (res / "README.md").write_text("| file | command | what |\n|---|---|---|\n"
                                   "| `fig1.csv`, `fig1.png` | `qdcopt study one` | the [one] "
                                   "figure <b>bold</b> |\n")
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(res), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.count("data:image/png;base64,") == 1
    assert "Made by: qdcopt study one" in text
    # the README's text is shown as written, never as markup
    assert "the [one] figure &lt;b&gt;bold&lt;/b&gt;" in text
    assert "fig1.csv: first 2 rows" in text
