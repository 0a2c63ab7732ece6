"""Real plans of every family, made once per test run by the project's methods on
the shipped small instances."""

from __future__ import annotations

from pathlib import Path

import pytest

import qdcopt

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"


def _solved(path: Path, method: str):
    inst = qdcopt.load_instance(path)
    plan, _ = qdcopt.solve(inst, method)
    return inst, plan


@pytest.fixture(scope="package")
def datacenter_tiny():
    """Three deliveries, two reconfigurations, no rejection (hand-checked instance)."""
    return _solved(INSTANCES / "tiny" / "double_switch.toml", "edf")


@pytest.fixture(scope="package")
def datacenter_default():
    """176 requests on five QPUs of two communication qubits: some are rejected."""
    return _solved(INSTANCES / "default.toml", "greedy")


@pytest.fixture(scope="package")
def network_diamond():
    """Two trees for one request, through B and through C."""
    return _solved(INSTANCES / "network" / "diamond.toml", "lp")


@pytest.fixture(scope="package")
def linklayer_star():
    return _solved(INSTANCES / "linklayer" / "star3.toml", "dqp")


@pytest.fixture(scope="package")
def service_star():
    return _solved(INSTANCES / "service" / "star6_cka.toml", "edf")
