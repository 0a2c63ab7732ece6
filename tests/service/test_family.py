"""Family D through the shared flow: load, solve, validate, save/load, simulate."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import qdcopt
from qdcopt.cli import app
from qdcopt.errors import InstanceError
from qdcopt.families import family
from qdcopt.service import HubInstance, ServiceInstance, simulate
from qdcopt.service.demand.demands import lone_pgas
from qdcopt.service.demand.jobs import IntervalJobs
from qdcopt.service.demand.network import HeraldedLink, packet_probability, pga_cycles, star6
from qdcopt.service.simulation.controller import ServiceConfig, cka_classes, simulate_service

ROOT = Path(__file__).resolve().parents[2]
STAR = ROOT / "instances" / "service" / "star6_cka.toml"
HUB = ROOT / "instances" / "service" / "modenhub.toml"


def test_instances_load():
    star = qdcopt.load_instance(STAR)
    hub = qdcopt.load_instance(HUB)
    assert isinstance(star, ServiceInstance) and isinstance(hub, HubInstance)
    assert star.config.network.nodes[-1] == "server"
    assert hub.sizes[-1] == 1024
    assert family("service").simulate is simulate


def test_solve_validate_and_round_trip(tmp_path):
    inst = qdcopt.load_instance(STAR)
    for method in ("edf", "milp"):
        plan, info = qdcopt.solve(inst, method)
        report = qdcopt.validate(inst, plan)
        assert report.ok and report.objective == info.objective
        folder = qdcopt.save_plan(plan, tmp_path / method, info)
        again, _ = qdcopt.load_plan(folder)
        assert np.array_equal(again.start, plan.start)
        assert qdcopt.validate(inst, again).objective == report.objective


def _write(tmp_path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("edit,field", [
    (("rate = 0.001 ", "rate = -1 "), "demands.rate"),
    (('admission = "utilisation"', 'admission = "best"'), "controller.admission"),
    (("p_swap = 1.0", "p_swp = 1.0"), "network.p_swp"),
    (('expiry = "8 h"', 'expiry = "8 weeks"'), "demands.expiry"),
])
def test_bad_service_input_names_file_field_rule(tmp_path, edit, field):
    text = STAR.read_text().replace(*edit)
    path = _write(tmp_path, text)
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(path)
    assert err.value.field == field


def test_bad_input_exits_2_with_one_line(tmp_path):
    path = _write(tmp_path, HUB.read_text().replace("rounds = 3", "rounds = 0"))
    res = CliRunner().invoke(app, ["solve", str(path)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "hub.rounds" in lines[0]
    assert "Traceback" not in res.output


def test_hub_instance_refuses_solve():
    with pytest.raises(InstanceError, match="simulate"):
        qdcopt.solve(qdcopt.load_instance(HUB), "edf")


def test_simulate_hub_same_seed_same_table():
    inst = qdcopt.load_instance(HUB)
    a = simulate(inst, seeds=3, sizes=(2, 16)).to_frame()
    b = simulate(inst, seeds=3, sizes=(2, 16)).to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert set(a["strategy"]) == {"naive", "orchestrated"}
    assert (abs(a["success_rate"] - a["success_rate_exact"]) < 0.05).all()


def test_simulate_service_same_seed_same_tables():
    inst = qdcopt.load_instance(STAR)
    a = simulate(inst, days=5, seed=3, check=True)
    b = simulate(inst, days=5, seed=3, check=True)
    pd.testing.assert_frame_equal(a.demands, b.demands)
    assert a.to_dict() == b.to_dict()
    assert a.metrics["invalid_schedules"] == 0
    c = simulate(inst, days=5, seed=4)
    assert not a.demands.equals(c.demands)


def test_pga_duration_from_link_model():
    link = HeraldedLink(p_link=0.1, t_cycle=1.0, p_swap=0.5)
    p = link.pair_probability()  # 0.1 · 0.1 · 0.5
    assert p == pytest.approx(0.005)
    n = pga_cycles(p, 1, 0.9)  # 1 − (1 − p)^n ≥ 0.9
    assert 1 - (1 - p) ** n >= 0.9 > 1 - (1 - p) ** (n - 1)
    assert packet_probability(n, p, 1) == pytest.approx(1 - (1 - p) ** n)


def test_lone_pair_queue_time_matches_its_expectation():
    """One pair, no contention: queue time = wait to the boundary + one interval."""
    net = star6()
    cls = cka_classes(net, rate=0.001)[:1]
    cfg = ServiceConfig(network=net, classes=cls, renewal_rate=1 / 7200, days=120, seed=1)
    r = simulate_service(cfg)
    m = r.metrics
    se = m["queue_time_std"] / np.sqrt(m["admitted"])
    assert abs(m["queue_time_mean"] - m["queue_time_single_pair"]) < 4 * se + 0.02 * \
        m["interval_seconds"]
    assert m["min_service_share"] == 1.0


def _tail(m: int, p: float, k: int = 10) -> float:
    """P[Binomial(m, p) ≥ k], term by term."""
    return sum(math.comb(m, j) * p**j * (1 - p) ** (m - j) for j in range(k, m + 1))


def test_lone_share_is_a_binomial_tail_by_hand():
    """λ → 0: a lone demand waits q uniform on (T, 2T], then runs the PGAs that end by
    expiry, one per period at the period's start; served iff ≥ 10 of them succeed."""
    net = star6()
    # packets of 4 pairs with probability 0.95: PGAs of 302.877 s, 11 per interval
    cfg = ServiceConfig(network=net, classes=cka_classes(
        net, rate=0.0005, packet_size=4, expiry=9 * 3600.0), p_packet=0.95)
    jobs = IntervalJobs(cfg)
    cls = cfg.classes[0]
    e, p = jobs.slot, jobs.p_success[cls.pair]
    assert e == pytest.approx(302.877, abs=1e-3) and jobs.n_slots == 11
    assert p == pytest.approx(0.95, abs=1e-7)
    # slots from start to expiry: u = 32 400/E − q/E ∈ (106.97 − 22, 106.97 − 11];
    # period 2 000/E = 6.603 slots; PGA k (one slot) ends in time iff ⌈6.603 k⌉ + 1 ≤ u:
    # k = 12 always (81), k = 13 iff u ≥ 87, k = 14 iff u ≥ 94, k = 15 never (101)
    u_lo, u_hi = 32400 / e - 22, 32400 / e - 11
    w13, w14, w15 = (87 - u_lo) / 11, (94 - 87) / 11, (u_hi - 94) / 11
    assert (w13, w14, w15) == pytest.approx((0.1842, 0.6364, 0.1794), abs=1e-3)
    by_hand = w13 * _tail(13, p) + w14 * _tail(14, p) + w15 * _tail(15, p)
    assert jobs.lone_share(cls) == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(0.99915, abs=1e-5)
    # adaptive: 13 PGAs spread over the time left (P[Bin(12, .95) ≥ 10] = 0.980 < 0.99)
    ad = ServiceConfig(network=net, classes=cka_classes(
        net, rate=None, packet_size=4, expiry=9 * 3600.0), p_packet=0.95)
    assert IntervalJobs(ad).lone_share(ad.classes[0]) == pytest.approx(_tail(13, p), abs=1e-12)
    assert _tail(13, p) == pytest.approx(0.99690, abs=1e-5)
    assert _tail(12, p) == pytest.approx(0.98043, abs=1e-5)
    # the former set (2-pair packets at 0.9, 8 h): 11, 12 or 13 PGAs, so at most 0.966
    old = ServiceConfig(network=net, classes=cka_classes(net, rate=0.0005))
    jobs = IntervalJobs(old)
    e, p = jobs.slot, jobs.p_success[old.classes[0].pair]
    assert jobs.n_slots == 23
    # period 13.163 slots: k = 11 iff u ≥ 146, k = 12 iff u ≥ 159, k = 13 never (173)
    u_lo, u_hi = 28800 / e - 46, 28800 / e - 23
    by_hand = ((146 - u_lo) * _tail(11, p) + 13 * _tail(12, p) + (u_hi - 159) * _tail(13, p)) / 23
    assert jobs.lone_share(old.classes[0]) == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(0.8938, abs=1e-4)
    assert _tail(12, 0.9) == pytest.approx(0.8891, abs=1e-4)


@pytest.mark.parametrize(("rate", "packet_size", "p_packet", "hours"),
                         [(0.0005, 2, 0.9, 8.0), (None, 4, 0.95, 9.0)])
def test_lone_pair_runs_exactly_the_pgas_that_fit(rate, packet_size, p_packet, hours):
    """One pair, no contention: every demand runs the PGAs ``lone_pgas`` counts (all of
    them if it expires), and the served share is the lone-pair share."""
    net = star6()
    cls = cka_classes(net, rate=rate, packet_size=packet_size, expiry=hours * 3600)[:1]
    cfg = ServiceConfig(network=net, classes=cls, p_packet=p_packet,
                        renewal_rate=0.1 / 3600, days=360, seed=5)
    r = simulate_service(cfg)
    d, m = r.demands, r.metrics
    fit = np.array([lone_pgas(rt, hours * 3600 - q, m["pga_seconds"])
                    for rt, q in zip(d["rate"], d["queue_time"], strict=True)])
    expired = (d["outcome"] == "expired").to_numpy()
    assert (d["pgas_run"].to_numpy()[expired] == fit[expired]).all()
    assert (d["pgas_run"].to_numpy() <= fit).all()
    share = m["min_service_share_single_pair"]
    se = np.sqrt(share * (1 - share) / m["sessions"])
    assert m["sessions"] > 400
    assert abs(m["min_service_share"] - share) < 4 * se + 1e-9
    if rate is not None:  # the former set: about one demand in ten runs out of PGAs
        assert share == pytest.approx(0.8938, abs=1e-4) and expired.sum() > 30


def test_schedule_aware_admission_keeps_every_admitted_demand_on_track():
    net = star6()
    base = ServiceConfig(network=net, classes=cka_classes(net, rate=0.001),
                         renewal_rate=8 / 3600, days=20, seed=2, admission="schedule",
                         check=True)
    r = simulate_service(base)
    assert r.metrics["invalid_schedules"] == 0
    # every due PGA of an admitted demand was placed: none dropped
    assert int(r.demands["pgas_dropped"].sum()) == 0
    # the utilisation rule at its limit queues demands longer
    u = simulate_service(ServiceConfig(network=net, classes=cka_classes(net, rate=0.001),
                                       renewal_rate=8 / 3600, days=20, seed=2))
    assert u.metrics["queue_time_mean"] > r.metrics["queue_time_mean"]


def test_schedule_aware_admission_checks_the_coming_intervals():
    """PGAs of 303 s at 0.001 Hz: three demands need 0.91 of the server, four 1.21, so the
    schedule-aware rule admits at most three at a time and EDF keeps them all on track
    (a check of intervals already past would admit all five)."""
    net = star6()
    cfg = ServiceConfig(network=net, classes=cka_classes(net, rate=0.001, packet_size=4,
                                                         expiry=9 * 3600.0),
                        p_packet=0.95, renewal_rate=8 / 3600, days=10, seed=2,
                        admission="schedule", scheduler="milp", check=True)
    r = simulate_service(cfg)
    d = r.demands[r.demands["admitted"].notna()]
    assert r.metrics["milp_runs"] == 0 and int(d["pgas_dropped"].sum()) == 0
    events = sorted([(t, 1) for t in d["admitted"]] + [(t, -1) for t in d["end"]],
                    key=lambda e: (e[0], e[1]))
    assert max(np.cumsum([k for _, k in events])) == 3


LINE = ROOT / "instances" / "service" / "line3.toml"


def test_graph_network_paths_and_durations():
    from qdcopt.service.demand.jobs import IntervalJobs

    inst = qdcopt.load_instance(LINE)
    jobs = IntervalJobs(inst.config)
    net = inst.config.network
    assert net.path("a", "c") == ["a", "b", "c"]
    assert net.path_use("a", "c") == {"a": 1, "b": 2, "c": 1}
    assert net.pair_probability("a", "c") == pytest.approx(0.3 * 0.3 * 0.9)
    assert net.pair_probability("a", "b") == pytest.approx(0.3)
    # the two-link PGA lasts several one-link PGAs; each makes its packet w.p. ≥ 0.9
    assert jobs.dur["a-b"] == 1 and jobs.dur["a-c"] > 1
    assert min(jobs.p_success.values()) >= 0.9


def test_graph_network_service_validates_and_milp_helps():
    inst = qdcopt.load_instance(LINE)
    e_plan, _ = qdcopt.solve(inst, "edf")
    m_plan, info = qdcopt.solve(inst, "milp")
    assert qdcopt.validate(inst, m_plan).objective >= qdcopt.validate(inst, e_plan).objective
    assert info.status == "optimal"
    r = simulate(inst, days=2, policy="milp", check=True)
    assert r.metrics["invalid_schedules"] == 0
    assert r.metrics["milp_runs"] > 0 and r.metrics["milp_gain"] >= 0


def test_graph_network_bad_link(tmp_path):
    path = _write(tmp_path, LINE.read_text().replace('v = "c"', 'v = "x"'))
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(path)
    assert err.value.field == "network.links[1].v"
    path = _write(tmp_path, LINE.read_text().replace('"a-c"', '"a-z"'))
    with pytest.raises(InstanceError) as err:
        qdcopt.load_instance(path)
    assert err.value.field == "demands.pairs[0]"
