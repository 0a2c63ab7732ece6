"""The link-layer control-plane protocols: DQP (baseline) and ESP (paper 004)."""

from __future__ import annotations

from qdcopt.linklayer.protocols.base import LinkLayerRun, Request, RunRecord
from qdcopt.linklayer.protocols.dqp import DQPRun
from qdcopt.linklayer.protocols.esp import ESPRun

PROTOCOLS: dict[str, type[LinkLayerRun]] = {"dqp": DQPRun, "esp": ESPRun}

__all__ = ["PROTOCOLS", "DQPRun", "ESPRun", "LinkLayerRun", "Request", "RunRecord"]
