"""Family C — the quantum link layer (paper 004)."""
