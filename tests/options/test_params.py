"""The parameter classes of the methods: names, types, ranges, defaults and the listing."""

from __future__ import annotations

import dataclasses
import inspect
import math
from pathlib import Path

import pytest

from qdcopt.api import load_instance
from qdcopt.datacenter import SPECS as DC_SPECS
from qdcopt.datacenter.jobs.pipeline import run_pipeline
from qdcopt.datacenter.options import (
    GreedyParams,
    PipelineParams,
    PipelineRetryParams,
    SelectMilpParams,
    SwitchMilpParams,
)
from qdcopt.families import family, known_kinds
from qdcopt.network import FAMILY as NETWORK
from qdcopt.params import (
    MethodParams,
    OptionError,
    UnknownOptionError,
    describe,
    render,
    shared_options,
)

ALL = [(kind, name) for kind in known_kinds() for name in family(kind).methods]
JOBS_INSTANCE = load_instance(Path(__file__).resolve().parents[2] / "instances" / "jobs"
                              / "buffer_small.toml")


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_every_method_is_registered_with_a_documented_parameter_class(kind, name):
    fam = family(kind)
    spec = fam.specs[name]
    assert fam.methods[name] in (spec, spec.fn) and spec.name == name and spec.summary
    assert issubclass(spec.params, MethodParams)
    for rule in spec.params.rules().values():
        assert rule.doc, (name, rule.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.params().threads = 2  # type: ignore[misc]


def _signature_defaults(fn):
    return {n: p.default for n, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize(("kind", "name"), ALL)
def test_defaults_are_those_of_the_method_function(kind, name):
    """The listing shows the defaults the method really uses: every option the function
    (or, for the pipelines, the pipeline it runs) names has the same default."""
    spec = family(kind).specs[name]
    if spec.typed:
        # the method takes its parameter object (and, when it forwards options to a
        # scheduler, those options): no defaults of its own to drift
        params = list(inspect.signature(spec.fn).parameters.values())
        size = 2 if spec.params.FORWARD is None else 3
        # a heuristic also callable on its own may default its parameter object to None
        # (the class's defaults), which cannot drift
        own = {n: d for n, d in _signature_defaults(spec.fn).items()
               if not (n == params[1].name and d is None)}
        assert len(params) == size and not own, name
        assert all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params), name
        return
    defaults = _signature_defaults(spec.fn)
    rules = spec.params.rules()
    for option in spec.params.own():  # each option the method declares, the function takes
        assert option in defaults, (name, option)
        assert rules[option].default == defaults[option], (name, option)
    for option in spec.params.USES:
        if option in defaults:
            assert rules[option].default == defaults[option], (name, option)


@pytest.mark.parametrize(("fn", "params"), [
    (run_pipeline, PipelineParams), (run_pipeline, PipelineRetryParams)])
def test_functions_run_with_their_own_defaults_keep_those_of_the_methods(fn, params):
    """select-milp's warm start runs the pipeline's engine with its own defaults: those
    are the methods'.  (The heuristics take their parameter object, so the switch MILP's
    warm start runs them with the classes' defaults.)"""
    defaults = _signature_defaults(fn)
    rules = params.rules()
    shared = sorted(set(defaults) & set(rules))
    assert shared
    for option in shared:
        assert defaults[option] == rules[option].default, (fn.__name__, option)


def test_unknown_name_lists_the_known_options_and_the_closest():
    with pytest.raises(UnknownOptionError) as exc:
        DC_SPECS["greedy"].check({"time_limt": 5})
    text = str(exc.value)
    assert text.startswith("option time_limt:")
    assert "did you mean time_limit?" in text
    for name in ("delta", "max_attempts", "compiled", "retries", "time_limit", "threads"):
        assert name in text
    with pytest.raises(UnknownOptionError, match=r"option varient: method lp .*variant"):
        NETWORK.specs["lp"].check({"varient": "x"})


@pytest.mark.parametrize(("name", "options", "fragment"), [
    ("greedy-retry", {"max_attempts": "lots"}, "max_attempts: must be an integer >= 0"),
    ("greedy-retry", {"max_attempts": -3}, "max_attempts: must be an integer >= 0"),
    ("greedy-retry", {"max_attempts": 2.5}, "max_attempts: must be an integer"),
    ("greedy-retry", {"max_attempts": True}, "max_attempts: must be an integer"),
    ("greedy", {"retries": 1}, "retries: must be true or false"),
    ("greedy", {"retries": "maybe"}, "retries: must be true or false"),
    ("greedy", {"delta": "x"}, "delta: must be a positive duration"),
    ("greedy", {"delta": 0}, "delta: must be a positive duration"),
    ("greedy", {"delta": "-1 ns"}, "delta: must be a positive duration"),
    ("milp", {"time_limit": -5}, "time_limit: must be a finite number > 0"),
    ("milp", {"time_limit": 0}, "time_limit: must be a finite number > 0"),
    ("milp", {"time_limit": math.nan}, "time_limit: must be a finite number > 0"),
    ("milp", {"time_limit": math.inf}, "time_limit: must be a finite number > 0"),
    ("milp", {"threads": 0}, "threads: must be an integer >= 1"),
    ("milp", {"threads": -4}, "threads: must be an integer >= 1"),
    ("milp", {"seed": -1}, "seed: must be an integer >= 0"),
    ("milp", {"mip_gap": 2}, "mip_gap: must be a finite number >= 0 and <= 1"),
    ("milp", {"builder": "numpy"}, "builder: must be one of auto, pyomo, arrays"),
    ("milp", {"penalty": "high"}, "penalty: must be a finite number >= 0 (or null)"),
    ("scoring", {"alpha": math.nan}, "alpha: must be a finite number >= 0"),
    ("scoring", {"breadth": 0}, "breadth: must be an integer >= 1"),
    ("pipeline-retry", {"mode": "serial"}, "mode: must be one of sequential, parallel"),
    ("pipeline-retry", {"scheduler": "fifo"}, "scheduler: must be one of greedy"),
    ("select-milp", {"delay_step": "soon"}, "delay_step: must be a positive duration"),
])
def test_values_of_the_wrong_type_or_range_are_refused(name, options, fragment):
    with pytest.raises(OptionError) as exc:
        DC_SPECS[name].check(options)
    assert not isinstance(exc.value, UnknownOptionError)
    assert str(exc.value).startswith("option " + fragment), str(exc.value)
    assert f"(method {name})" in str(exc.value)


def test_values_are_converted_and_only_the_given_ones_returned():
    got = DC_SPECS["milp"].check({"time_limit": 5, "penalty": None, "anneal": False})
    assert got == {"time_limit": 5.0, "penalty": None, "anneal": False}
    assert isinstance(got["time_limit"], float)
    assert DC_SPECS["greedy"].check({}) == {}
    assert DC_SPECS["greedy"].check({"delta": "2 ns"}) == {"delta": "2 ns"}
    assert DC_SPECS["select-milp"].check({"delay_step": None}) == {"delay_step": None}


def test_parameter_objects_check_values_built_in_python():
    p = GreedyParams(max_attempts=3, delta=2e-9)
    assert p.max_attempts == 3 and p.values()["delta"] == 2e-9
    with pytest.raises(OptionError, match="max_attempts"):
        GreedyParams(max_attempts=-3)
    assert SwitchMilpParams(time_limit=None).time_limit is None
    assert DC_SPECS["milp"].parameters({"threads": 4}).threads == 4


def test_options_of_the_scheduler_are_checked_through_the_job_method():
    spec = DC_SPECS["pipeline-retry"]
    assert spec.check({"scheduler": "milp", "penalty": 1}) == {"scheduler": "milp",
                                                              "penalty": 1.0}
    assert spec.check({"alpha": 2, "scheduler": "scoring"})["alpha"] == 2.0
    with pytest.raises(UnknownOptionError, match=r"option penalty: method pipeline-retry "
                       r"\(with scheduler=edf\) has no such option"):
        spec.check({"scheduler": "edf", "penalty": 1})
    with pytest.raises(OptionError, match="option penalty: must be a finite number"):
        spec.check({"scheduler": "milp", "penalty": "x"})
    with pytest.raises(UnknownOptionError, match="option retries"):
        spec.check({"retries": False})  # pipeline-retry always retries: not an option
    assert SelectMilpParams.FORWARD == "scheduler"


@pytest.mark.parametrize(("name", "options", "seen"), [
    # the pipelines use no common option: the scheduler gets them all
    ("pipeline-parallel", {"time_limit": 7, "seed": 3}, {"time_limit": 7.0, "seed": 3}),
    # admit-lp uses time_limit and threads for its LPs and hands on the others
    ("admit-lp", {"time_limit": 7, "seed": 3}, {"time_limit": 60.0, "seed": 3}),
    # select-milp uses every common option for its own MILP
    ("select-milp", {"time_limit": 7, "seed": 3, "warm_start": False, "max_delays": 1},
     {"time_limit": 60.0, "seed": 0}),
])
def test_job_methods_hand_their_scheduler_the_common_options_they_do_not_use(
        monkeypatch, name, options, seen):
    from qdcopt.datacenter.schedulers import SCHEDULER_SPECS

    real = SCHEDULER_SPECS["edf"]
    calls = []

    def spy(instance, params):
        calls.append(params)
        return real.fn(instance, params)

    monkeypatch.setitem(SCHEDULER_SPECS, "edf", dataclasses.replace(real, fn=spy))
    DC_SPECS[name](JOBS_INSTANCE, scheduler="edf", compiled=False, **options)
    assert calls
    for params in calls:
        assert params.compiled is False  # forwarded
        assert {k: getattr(params, k) for k in seen} == seen


def test_options_shared_by_several_methods_go_to_those_that_take_them():
    specs = {n: DC_SPECS[n] for n in ("greedy", "scoring", "milp")}
    out = shared_options(specs, {"alpha": 2, "time_limit": 3}, {"milp": {"penalty": 0.5}})
    assert out == {"greedy": {"time_limit": 3}, "scoring": {"alpha": 2, "time_limit": 3},
                   "milp": {"penalty": 0.5, "time_limit": 3}}
    with pytest.raises(UnknownOptionError, match="option alpah: none of the methods"):
        shared_options(specs, {"alpah": 2}, {})
    with pytest.raises(OptionError, match="option alpha: must be a finite number"):
        shared_options(specs, {"alpha": "x"}, {})


def test_scheduler_choices_are_the_registered_schedulers():
    from qdcopt.datacenter import SCHEDULER_SPECS
    from qdcopt.datacenter.options import SCHEDULER_NAMES

    assert tuple(SCHEDULER_SPECS) == SCHEDULER_NAMES


def test_listing_shows_every_method_option_type_and_default():
    lines = render(DC_SPECS, "datacenter")
    text = "\n".join(lines)
    for name, spec in DC_SPECS.items():
        assert f"  {name}: {spec.summary}" in text
    row = next(line for line in lines if line.strip().startswith("max_attempts"))
    assert row.split()[:4] == ["max_attempts", "int", ">=", "0"] and " 10 " in row
    assert any(line.split()[:2] == ["builder", "{auto,pyomo,arrays}"] for line in lines)
    data = describe(NETWORK.specs["lp"])
    assert [o["name"] for o in data["options"]][:4] == ["variant", "lp_method", "objective",
                                                         "per_request"]
    assert {"name": "per_request", "type": "int >= 1", "default": 8,
            "doc": "trees priced in per request and round"} in data["options"]
