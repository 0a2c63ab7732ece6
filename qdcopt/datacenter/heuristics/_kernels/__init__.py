"""Compiled (numba) loops of the family-A heuristics, one module per loop.

Lives here: ``greedy`` (with the functions the loops share), ``dispatch`` (EDF and
scoring), ``heaps``, ``queue`` (the dispatcher's pairs by deadline).
May import the family's data (instance, plan) and each other; nothing above them.
"""
