"""Compiled (numba) loops of the family-A heuristics, one module per loop.

Lives here: ``greedy`` (with the shared helpers), ``dispatch`` (EDF and scoring), ``heaps``,
``queue`` (the dispatcher's pairs by deadline).
May import the family's data (instance, plan) and each other; nothing above them.
"""
