"""Every family-A method by name, as the family entry point hands them to the shared flow.

Request-level methods come from :mod:`qdcopt.datacenter.schedulers`; job-level methods
(which jobs run, where and when) are registered here.
"""

from __future__ import annotations

from qdcopt.datacenter.jobs.admission import admit_lp, admit_utilisation
from qdcopt.datacenter.jobs.pipeline import (
    pipeline_parallel,
    pipeline_retry,
    pipeline_sequential,
)
from qdcopt.datacenter.jobs.selection import select_milp
from qdcopt.datacenter.schedulers import SCHEDULERS

JOB_METHODS = {
    "select-milp": select_milp,
    "pipeline-sequential": pipeline_sequential,
    "pipeline-parallel": pipeline_parallel,
    "pipeline-retry": pipeline_retry,
    "admit-utilisation": admit_utilisation,
    "admit-lp": admit_lp,
}
"""Job-level methods: which jobs run, where and when (they need an instance with [[jobs]])."""

METHODS = {**SCHEDULERS, **JOB_METHODS}
"""Every method of the family, request-level first."""
