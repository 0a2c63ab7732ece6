"""Reading family-A instance files (TOML/JSON, requests optionally in a CSV file).

Layout of a file (every time is seconds or a string with a unit, every rate Hz or a
string with a unit)::

    kind = "datacenter"
    name = "tiny"
    hardware = "hardware/paper000_5qpu_1ghz.toml"   # optional: inherit qpus/sources/storage
    t_max = "1 us"                 # or min_fidelity = 0.8 with t1/t2 on every QPU
    transit_moves = false          # optional: a switch may pass through pairs it never serves

    [[qpus]]
    id = "A"
    data_qubits = 10
    comm_qubits = 2                # or "unlimited"
    t1 = "0.5 ms"                  # optional
    t2 = "0.5 ms"                  # optional

    [[sources]]
    id = "S0"
    rate = "1 GHz"
    start = 0                      # optional, default 0
    t_single = "2 ns"              # optional, default 2 ns
    t_double = "10 ns"             # optional, default 10 ns
    ports = ["A", "B"]             # optional, default every QPU

    [[requests]]                   # or requests_csv = "file.csv"
    id = "r1"
    job = "j1"
    qpu_a = "A"
    qpu_b = "B"
    t_need = "100 ns"
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qdcopt.datacenter.demand.eds import EdsResult
from qdcopt.datacenter.demand.jobs import jobs_from_document
from qdcopt.datacenter.instance import DatacenterInstance, Qpu, Requests, Source
from qdcopt.datacenter.storage import window_for_qpus
from qdcopt.errors import InstanceError
from qdcopt.fields import Section, build_at, check_file, check_unique, open_document, read_document
from qdcopt.timebase import MAX_TICKS, MAX_TIME_TEXT, parse_duration

TOP_FIELDS = {"kind", "name", "description", "hardware", "t_max", "min_fidelity", "qpus",
              "sources", "requests", "requests_csv", "jobs", "circuit_defaults", "job_buffer",
              "transit_moves"}
HARDWARE_FIELDS = {"kind", "name", "description", "t_max", "min_fidelity", "qpus", "sources",
                   "transit_moves"}
QPU_FIELDS = {"id", "data_qubits", "comm_qubits", "t1", "t2", "gate_1q", "gate_2q"}
SOURCE_FIELDS = {"id", "rate", "start", "t_single", "t_double", "ports"}
REQUEST_FIELDS = {"id", "job", "qpu_a", "qpu_b", "t_need"}
DEFAULT_T_SINGLE = "2 ns"
DEFAULT_T_DOUBLE = "10 ns"
_CSV_TIME_SCALE = {"t_need": 10**15, "t_need_s": 10**15, "t_need_ms": 10**12,
                   "t_need_us": 10**9, "t_need_ns": 10**6, "t_need_ps": 10**3, "t_need_fs": 1}


def load_datacenter(path: str | Path, document: dict[str, Any] | None = None,
                    ) -> DatacenterInstance:
    """Load and check a family-A instance.

    Parameters
    ----------
    path
        The instance file (TOML or JSON).
    document
        Its parsed content, if already read.

    Returns
    -------
    DatacenterInstance

    Raises
    ------
    InstanceError
        On the first broken rule, naming the file, the field and the rule.
    """
    path, doc = open_document(path, document, TOP_FIELDS)
    hw = doc
    if doc.has("hardware"):
        for name in ("qpus", "sources"):
            if doc.has(name):
                raise doc.error(name, "must not be given together with 'hardware'")
        hw_path = path.parent / doc.string("hardware")
        hw = Section(hw_path, "", read_document(hw_path))
        hw.reject_unknown(HARDWARE_FIELDS)
    qpus = _qpus(hw)
    qindex = {q.id: i for i, q in enumerate(qpus)}
    sources = _sources(hw, qindex)
    storage = doc if (doc.has("t_max") or doc.has("min_fidelity")) else hw
    t_max, fmin = _storage(storage, qpus)
    transit = _transit_moves(doc if doc.has("transit_moves") else hw)
    name = doc.string("name", path.stem)
    description = doc.string("description", "")
    job_runtime: dict[str, int] = {}
    specs: tuple = ()
    timings: tuple = ()
    given = [k for k in ("requests", "requests_csv", "jobs") if doc.has(k)]
    if len(given) > 1:
        raise doc.error(given[1],
                        f"give only one of requests, requests_csv, jobs (also {given[0]})")
    if doc.has("requests"):
        requests = _inline_requests(doc, qindex)
    elif doc.has("requests_csv"):
        requests = read_requests_csv(path.parent / doc.string("requests_csv"), qindex)
    elif doc.has("jobs"):
        buffer = doc.raw("job_buffer", False)
        if not isinstance(buffer, bool):
            raise doc.error("job_buffer", f"must be true or false, got {buffer!r}")
        result, specs, timings = jobs_from_document(doc, qpus, path, buffer=buffer)
        requests, job_runtime = result.requests, result.job_runtime
    else:
        raise doc.error("requests", "required: give requests, requests_csv or jobs")
    for field_name in ("job_buffer", "circuit_defaults"):
        if doc.has(field_name) and not doc.has("jobs"):
            raise doc.error(field_name, "applies only to an instance with jobs")
    return DatacenterInstance(name=name, qpus=qpus, sources=sources, t_max=t_max,
                              requests=requests, min_fidelity=fmin, file=str(path),
                              description=description, job_runtime=job_runtime,
                              job_specs=specs, job_timings=timings, transit_moves=transit)


def _transit_moves(doc: Section) -> bool:
    value = doc.raw("transit_moves", False)
    if not isinstance(value, bool):
        raise doc.error("transit_moves", f"must be true or false, got {value!r}")
    return value


def _qpus(doc: Section) -> tuple[Qpu, ...]:
    items = doc.tables("qpus", nonempty=True)
    out = []
    for item in items:
        item.reject_unknown(QPU_FIELDS)
        comm: int | None
        if item.raw("comm_qubits", "unlimited") == "unlimited":
            comm = None
        else:
            # The upper limit is the data class's rule (shared with instances built in code).
            comm = item.integer("comm_qubits", minimum=1, maximum=None)
        t1 = item.duration("t1", None, positive=True)
        t2 = item.duration("t2", None, positive=True)
        for name in ("gate_1q", "gate_2q"):
            # read again with the circuits; checked here so that an instance of plain
            # requests does not carry a broken value unnoticed
            if item.has(name):
                item.duration(name, positive=True)
        fields = {"id": item.string("id"),
                  "data_qubits": item.integer("data_qubits", minimum=1, maximum=None),
                  "comm_qubits": comm, "t1": t1, "t2": t2}
        out.append(build_at(item, Qpu, **fields))
    check_unique(doc.file, doc.where("qpus"), [q.id for q in out])
    return tuple(out)


def _sources(doc: Section, qindex: dict[str, int]) -> tuple[Source, ...]:
    items = doc.tables("sources", nonempty=True)
    out = []
    for item in items:
        item.reject_unknown(SOURCE_FIELDS)
        ports_ids = item.strings("ports", list(qindex))
        for j, pid in enumerate(ports_ids):
            if pid not in qindex:
                raise InstanceError(item.file, f"{item.where('ports')}[{j}]",
                                    f"unknown QPU id {pid!r}")
        if len(set(ports_ids)) != len(ports_ids):
            raise item.error("ports", "must not repeat a QPU")
        if len(ports_ids) < min(2, len(qindex)):
            raise item.error("ports", "a switch must reach at least two QPUs")
        t_single = item.duration("t_single", parse_duration(DEFAULT_T_SINGLE))
        t_double = item.duration("t_double", parse_duration(DEFAULT_T_DOUBLE))
        if t_double < t_single:
            raise item.error("t_double", "must be at least t_single (both lines move)")
        fields = {"id": item.string("id"), "period": item.rate("rate"),
                  "start": item.duration("start", 0), "t_single": t_single,
                  "t_double": t_double, "ports": tuple(sorted(qindex[p] for p in ports_ids))}
        out.append(build_at(item, Source, **fields))
    check_unique(doc.file, doc.where("sources"), [s.id for s in out])
    return tuple(out)


def _storage(doc: Section, qpus: tuple[Qpu, ...]) -> tuple[int, float | None]:
    if doc.has("t_max") and doc.has("min_fidelity"):
        raise doc.error("min_fidelity", "give either t_max or min_fidelity, not both")
    if doc.has("t_max"):
        return doc.duration("t_max"), None
    if not doc.has("min_fidelity"):
        raise doc.error("t_max",
                        "required: give t_max, or min_fidelity with t1 and t2 on every QPU")
    fmin = doc.number("min_fidelity", low=0.25, high=1.0, low_open=True)
    if fmin >= 1.0:
        raise doc.error("min_fidelity", "must be below 1 (no stored pair keeps fidelity 1)")
    for i, q in enumerate(qpus):
        if q.t1 is None or q.t2 is None:
            raise InstanceError(doc.file, f"qpus[{i}].t1",
                                "min_fidelity needs t1 and t2 on every QPU")
    return window_for_qpus(fmin, [(q.t1, q.t2) for q in qpus]), fmin


def _inline_requests(doc: Section, qindex: dict[str, int]) -> Requests:
    items = doc.tables("requests", nonempty=True)
    ids, jobs, a, b, t = [], [], [], [], []
    for item in items:
        item.reject_unknown(REQUEST_FIELDS)
        qa, qb = item.string("qpu_a"), item.string("qpu_b")
        for name, q in (("qpu_a", qa), ("qpu_b", qb)):
            if q not in qindex:
                raise item.error(name, f"unknown QPU id {q!r}")
        if qa == qb:
            raise item.error("qpu_b", f"a request must join two different QPUs, got {qa!r} twice")
        ids.append(item.string("id"))
        jobs.append(item.string("job", "job0"))
        a.append(qindex[qa])
        b.append(qindex[qb])
        t.append(item.duration("t_need"))
    check_unique(doc.file, doc.where("requests"), ids)
    return Requests.from_columns(ids, jobs, a, b, t)


def read_requests_csv(path: str | Path, qindex: dict[str, int]) -> Requests:
    """Read requests from a CSV file.

    Columns: ``id, qpu_a, qpu_b`` and one need-time column: ``t_need`` (seconds) or
    ``t_need_<unit>`` with unit s, ms, us, ns, ps or fs; ``job`` is optional.
    Integer time columns are read exactly; decimal ones are rounded to the nearest tick.
    """
    path = Path(path)
    check_file(path, "requests file")
    _check_row_lengths(path)
    try:
        frame = pd.read_csv(path, dtype={"id": str, "job": str, "qpu_a": str, "qpu_b": str},
                            keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            ValueError) as exc:
        # pandas' parser messages may end in a newline; the report is one line
        detail = " ".join(str(exc).split())
        raise InstanceError(path, "", f"is not a readable CSV table ({detail})") from None
    time_cols = [c for c in frame.columns if c in _CSV_TIME_SCALE]
    for col in ("id", "qpu_a", "qpu_b"):
        if col not in frame.columns:
            raise InstanceError(path, col, "required column is missing")
    if len(time_cols) != 1:
        raise InstanceError(path, "t_need", "exactly one need-time column is required "
                            "(t_need in seconds, or t_need_ns, t_need_us, ...)")
    unknown = set(frame.columns) - {"id", "job", "qpu_a", "qpu_b", *time_cols}
    if unknown:
        raise InstanceError(path, sorted(unknown)[0], "unknown column")
    if len(frame) == 0:
        raise InstanceError(path, "", "must hold at least one request")
    ids = frame["id"].astype(str).to_numpy(dtype=object)
    empty = np.flatnonzero(frame["id"].astype(str).str.strip() == "")
    if len(empty):
        raise InstanceError(path, f"row {empty[0] + 2}.id", "must be a non-empty string")
    dup = frame["id"].duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InstanceError(path, f"row {i + 2}.id", f"duplicate id {ids[i]!r}")
    cols = {}
    for col in ("qpu_a", "qpu_b"):
        mapped = frame[col].map(qindex)
        bad = np.flatnonzero(mapped.isna().to_numpy())
        if len(bad):
            i = int(bad[0])
            raise InstanceError(path, f"row {i + 2}.{col}", f"unknown QPU id {frame[col].iat[i]!r}")
        cols[col] = mapped.to_numpy(dtype=np.int64)
    same = np.flatnonzero(cols["qpu_a"] == cols["qpu_b"])
    if len(same):
        i = int(same[0])
        raise InstanceError(path, f"row {i + 2}.qpu_b",
                            "a request must join two different QPUs, "
                            f"got {frame['qpu_a'].iat[i]!r} twice")
    tcol = time_cols[0]
    t_need = _csv_times(path, frame[tcol], tcol, _CSV_TIME_SCALE[tcol])
    jobs = (frame["job"].astype(str).to_numpy(dtype=object) if "job" in frame.columns
            else np.full(len(frame), "job0", dtype=object))
    return Requests.from_columns(ids, jobs, cols["qpu_a"], cols["qpu_b"], t_need)


def _check_row_lengths(path: Path) -> None:
    """Refuse a row with more or fewer cells than the header.

    pandas reads a row with one cell too many by taking the first column as an index,
    which would shift every field of the table without a word.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            for row in reader:
                if row and header is not None and len(row) != len(header):
                    raise InstanceError(path, f"row {reader.line_num}",
                                        f"has {len(row)} cells, the header has {len(header)}")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InstanceError(path, "", f"is not a readable CSV table ({exc})") from None


def _csv_times(path: Path, column: pd.Series, name: str, scale: int) -> np.ndarray:
    numeric = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(numeric.isna().to_numpy() | ~np.isfinite(numeric.to_numpy(dtype=float)))
    if len(bad):
        i = int(bad[0])
        raise InstanceError(path, f"row {i + 2}.{name}",
                            f"must be a finite number, got {_cell(column.iat[i])!r}")
    # Check signs and the range before scaling: an int64 column times the unit's scale
    # would wrap around silently, a float one would cast to garbage.
    values = numeric.to_numpy()
    limit = MAX_TICKS // scale
    for test, rule in ((values < 0, "must not be negative"),
                       (values > limit, f"must be at most {limit:g} here ({MAX_TIME_TEXT}, the "
                        "longest time qdcopt represents)")):
        bad = np.flatnonzero(test)
        if len(bad):
            i = int(bad[0])
            raise InstanceError(path, f"row {i + 2}.{name}",
                                f"{rule}, got {_cell(column.iat[i])!r}")
    if pd.api.types.is_integer_dtype(numeric):
        ticks = numeric.to_numpy(dtype=np.int64) * scale
    else:
        ticks = np.rint(numeric.to_numpy(dtype=float) * scale).astype(np.int64)
    return ticks


def extract_eds(path: str | Path) -> EdsResult:
    """Extract the entanglement demand schedule of the jobs of an instance file.

    Parameters
    ----------
    path
        A family-A instance (TOML or JSON) with ``[[jobs]]``.

    Returns
    -------
    EdsResult
        ``.requests_frame()`` is the request table, ``.summary_frame()`` the per-job
        depths, runtime estimates and counts, ``.write_csv(folder)`` writes both.

    Raises
    ------
    InstanceError
        On the first broken rule (a QASM error names the QASM file and the line).
    """
    path = Path(path)
    doc = Section(path, "", read_document(path))
    doc.reject_unknown(TOP_FIELDS)
    if not doc.has("jobs"):
        raise doc.error("jobs", "required: the demand schedule is extracted from jobs")
    hw = doc
    if doc.has("hardware"):
        hw_path = path.parent / doc.string("hardware")
        hw = Section(hw_path, "", read_document(hw_path))
    buffer = doc.raw("job_buffer", False) is True
    return jobs_from_document(doc, _qpus(hw), path, buffer=buffer)[0]


def _cell(value: object) -> object:
    """A CSV cell as a plain Python value (numpy scalars print as ``np.float64(...)``)."""
    return value.item() if isinstance(value, np.generic) else value
