"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# property tests draw the same examples on every run, so a run's result depends on the
# code alone (set HYPOTHESIS_PROFILE=explore for fresh random examples)
settings.register_profile("qdcopt", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "qdcopt"))


@pytest.fixture()
def root() -> Path:
    """The project's root folder."""
    return ROOT
