"""The paper-000 hardware presets: shipped files equal what the generator writes, and load."""

from __future__ import annotations

from pathlib import Path

import pytest

import qdcopt
from qdcopt.datacenter.scenarios.presets import (
    QPU_COUNTS,
    QUBITS_PER_QPU,
    RATES,
    hardware_toml,
    preset_name,
)

HW = Path(__file__).resolve().parents[2] / "instances" / "hardware"


@pytest.mark.parametrize("n", QPU_COUNTS)
@pytest.mark.parametrize("rate", list(RATES))
def test_preset_file_is_generated_and_loads(n, rate, tmp_path):
    path = HW / preset_name(n, rate)
    assert path.read_text() == hardware_toml(n, rate)
    # a preset is hardware only: add one request (two QPUs needed) and load it
    inst_path = tmp_path / "inst.toml"
    if n == 1:
        return
    inst_path.write_text(f'hardware = "{path}"\n\n[[requests]]\nid = "r"\nqpu_a = "Q0"\n'
                         'qpu_b = "Q1"\nt_need = "1 us"\n')
    inst = qdcopt.load_instance(inst_path)
    assert len(inst.qpus) == n
    assert sum(q.data_qubits for q in inst.qpus) == 1000 == n * QUBITS_PER_QPU[n]
    assert inst.t_max == 10**12
    assert inst.sources[0].period == (10**6 if rate == "1ghz" else 10**9)
    assert all(q.comm_qubits is None for q in inst.qpus)
