"""Compiled (numba) loops of the family-A heuristics, one module per loop.

Lives here: ``greedy`` (with the shared helpers) and ``dispatch`` (EDF and scoring).
May import the family's data (instance, plan) and each other; nothing above them.
"""
