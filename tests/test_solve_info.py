"""SolveInfo is frozen all the way down, and survives pickling, copying and JSON."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from qdcopt.status import SolveInfo, Status


def test_extra_cannot_be_changed_in_place():
    info = SolveInfo("m", Status.OPTIMAL, 1.0, 1.0, extra={"rounds": 3})
    for change in (lambda e: e.__setitem__("rounds", 4), lambda e: e.update(rounds=4),
                   lambda e: e.pop("rounds"), lambda e: e.setdefault("x", 1),
                   lambda e: e.clear(), lambda e: e.popitem(),
                   lambda e: e.__delitem__("rounds")):
        with pytest.raises(TypeError, match="cannot be changed"):
            change(info.extra)
    assert info.extra == {"rounds": 3}
    # a changed copy is a new SolveInfo; the first keeps its value
    more = info.with_(extra={**info.extra, "rounds": 4})
    assert more.extra["rounds"] == 4 and info.extra["rounds"] == 3


def test_frozen_info_round_trips():
    info = SolveInfo("m", Status.RESTRICTED, 2.0, 3.0, extra={"a": [1, 2], "b": "x"})
    for again in (pickle.loads(pickle.dumps(info)), copy.deepcopy(info),
                  SolveInfo.from_dict(json.loads(json.dumps(info.to_dict())))):
        assert again == info and again.status == "restricted"
        with pytest.raises(TypeError):
            again.extra["a"] = 0
