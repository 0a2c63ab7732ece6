"""Hardware presets of paper 000 (Vista et al., §IV) and the storage windows of its Fig. 4.

The paper's datacenters: 1, 2, 5, 10 or 20 QPUs with 1000, 500, 200, 100 or 50
processing qubits each (always 1000 in total), unlimited communication qubits with
T1 = T2 = 0.5 ms, one source at 1 GHz or 1 MHz feeding a 2×N switch that moves one
output line in 2 ns and both in 10 ns, and t_max = 1 ms.  ``write_presets`` regenerates
the files in ``instances/hardware/``.
"""

from __future__ import annotations

from pathlib import Path

QPU_COUNTS: tuple[int, ...] = (1, 2, 5, 10, 20)
QUBITS_PER_QPU: dict[int, int] = {1: 1000, 2: 500, 5: 200, 10: 100, 20: 50}
RATES: dict[str, str] = {"1ghz": "1 GHz", "1mhz": "1 MHz"}
FIG4_T_MAX: tuple[str, ...] = ("1 ns", "10 ns", "100 ns", "1 us", "10 us", "100 us", "1 ms")
"""Storage windows swept on the x axis of paper 000's Fig. 4 (decades from 1 ns to 1 ms)."""


def hardware_toml(n_qpus: int, rate: str = "1ghz", t_max: str = "1 ms",
                  comm_qubits: int | None = None) -> str:
    """The TOML text of one hardware preset.

    Parameters
    ----------
    n_qpus
        One of :data:`QPU_COUNTS` (other counts get 1000 // n qubits each).
    rate
        ``"1ghz"`` or ``"1mhz"``.
    t_max
        Storage window.
    comm_qubits
        Communication qubits per QPU (``None``: unlimited, as in the paper).
    """
    qubits = QUBITS_PER_QPU.get(n_qpus, 1000 // n_qpus)
    comm = '"unlimited"' if comm_qubits is None else str(comm_qubits)
    lines = [
        f"# Paper 000 hardware: {n_qpus} QPU(s) x {qubits} qubits, {RATES[rate]} source,",
        "# 2 ns / 10 ns switching, T1 = T2 = 0.5 ms. Regenerate with",
        "# python -c 'from qdcopt.datacenter.scenarios.presets import write_presets; "
        "write_presets()'",
        'kind = "datacenter"',
        f'name = "paper000-{n_qpus}qpu-{rate}"',
        f't_max = "{t_max}"',
        "",
    ]
    for i in range(n_qpus):
        lines += ["[[qpus]]", f'id = "Q{i}"', f"data_qubits = {qubits}",
                  f"comm_qubits = {comm}", 't1 = "0.5 ms"', 't2 = "0.5 ms"', ""]
    lines += ["[[sources]]", 'id = "S0"', f'rate = "{RATES[rate]}"', 't_single = "2 ns"',
              't_double = "10 ns"', ""]
    return "\n".join(lines)


def preset_name(n_qpus: int, rate: str) -> str:
    """File name of a preset."""
    return f"paper000_{n_qpus}qpu_{rate}.toml"


def write_presets(folder: str | Path = "instances/hardware") -> list[Path]:
    """Write every preset into ``folder``; returns the files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n in QPU_COUNTS:
        for rate in RATES:
            path = folder / preset_name(n, rate)
            path.write_text(hardware_toml(n, rate))
            out.append(path)
    return out
