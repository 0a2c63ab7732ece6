"""The Fig. 3 study (quick version) and the paper-size extraction (slow)."""

from __future__ import annotations

import pandas as pd
import pytest

from qdcopt.datacenter.demand.circuits import random_job_circuit
from qdcopt.datacenter.demand.reduction import flatten
from qdcopt.datacenter.demand.schedule import EdsOptions, QpuTiming, extract_job
from qdcopt.studies.paper000 import fig3_eds


def test_fig3_quick_writes_csv_and_png(tmp_path):
    files = fig3_eds.run(tmp_path, quick=True, workers=0)
    assert [f.name for f in files] == ["fig3_eds.csv", "fig3_eds.png"]
    assert all(f.stat().st_size > 0 for f in files)
    frame = pd.read_csv(files[0])
    assert len(frame) == len(fig3_eds.QUICK_DEPTHS) * len(fig3_eds.QUICK_CONFIGS) * 2
    one = frame[frame.qpus == 1]
    assert (one.requests == 0).all() and (one.distributed_depth == one.reduced_depth).all()
    wide = frame.pivot_table(index=["depth", "qpus"], columns="placement",
                             values="non_local_gates")
    assert (wide.graph <= wide.contiguous).all()
    assert (frame.requests_with_reuse <= frame.requests).all()
    assert (frame.runtime_asap_us <= frame.runtime_us).all()
    # same seed, same numbers
    again = pd.read_csv(fig3_eds.run(tmp_path / "again", quick=True, workers=0)[0])
    assert again.equals(frame)


@pytest.mark.slow
def test_paper_size_extraction_on_ten_qpus():
    flat = flatten(random_job_circuit(1000, 200, seed=1))
    for placement in ("contiguous", "graph"):
        eds = extract_job(flat, list(range(10)), [100] * 10, [QpuTiming()] * 10,
                          placement=placement, options=EdsOptions(reuse=True))
        assert eds.n_requests == eds.non_local_gates - eds.requests_saved
        assert eds.placement.sizes() == [100] * 10
        assert eds.distributed_depth > eds.depth
