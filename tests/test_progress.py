"""Progress of long runs off a terminal: plain lines at the start, on a timer, at the end."""

from __future__ import annotations

import io
import time

import pytest

from qdcopt.runs.progress import LineProgress, NoProgress, make_progress


def test_lines_at_start_on_the_timer_and_at_the_end():
    stream = io.StringIO()
    bar = LineProgress(stream, interval=0.05)
    bar.start("fig5", 10, done=4)
    bar.update(7, failed=1)
    time.sleep(0.2)  # the timer speaks although no update comes
    bar.close()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("fig5: 4/10 tasks (40 %), elapsed 0:00:00")
    assert "remaining" not in lines[0]  # nothing ran yet in this run: no estimate
    assert len(lines) >= 3
    assert lines[1].startswith("fig5: 7/10 tasks (70 %), 1 failed, elapsed 0:00:00")
    # 3 done in this run, 3 left: the estimate is the time so far again
    assert "remaining ~0:00:00" in lines[1]
    assert lines[-1].startswith("fig5: 7/10 tasks")


def test_a_long_step_is_named_in_the_periodic_lines():
    stream = io.StringIO()
    bar = LineProgress(stream, interval=0.05, unit="methods")
    bar.start("compare x", 2)
    bar.note("milp")
    time.sleep(0.4)  # several ticks, with room for a loaded machine
    bar.update(1)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("compare x: 0/2 methods") and line.endswith("; now milp")
               for line in lines)
    assert not lines[-1].endswith("; now milp")  # the end names no step


def test_a_run_shorter_than_after_leaves_no_line_and_a_longer_one_does():
    quick = io.StringIO()
    bar = LineProgress(quick, interval=10.0, after=5.0)
    bar.start("compare x", 3)
    bar.update(3)
    bar.close()
    assert quick.getvalue() == ""
    slow = io.StringIO()
    bar = LineProgress(slow, interval=10.0, after=0.05)
    bar.start("compare x", 3)
    time.sleep(0.15)
    bar.update(3)
    bar.close()
    lines = slow.getvalue().splitlines()
    assert len(lines) == 2  # the deferred first line, then the end
    assert lines[-1].startswith("compare x: 3/3 tasks (100 %)")


def test_choices_and_a_bad_mode():
    assert isinstance(make_progress("none"), NoProgress)
    assert isinstance(make_progress("lines"), LineProgress)
    with pytest.raises(ValueError, match="progress must be"):
        make_progress("loud")
    with pytest.raises(ValueError, match="interval must be positive"):
        LineProgress(interval=0)


def test_a_comparison_reports_each_method_it_runs():
    import qdcopt

    class Recorder(NoProgress):
        def __init__(self):
            self.events = []

        def start(self, label, total, done=0):
            self.events.append(("start", label, total))

        def note(self, text):
            self.events.append(("note", text))

        def update(self, done, failed=0):
            self.events.append(("update", done))

        def close(self):
            self.events.append(("close",))

    inst = qdcopt.load_instance("instances/default.toml")
    rec = Recorder()
    qdcopt.run_comparison(inst, ["greedy", "edf"], progress=rec)
    assert rec.events == [("start", "compare default", 2), ("note", "greedy"), ("update", 1),
                          ("note", "edf"), ("update", 2), ("close",)]
