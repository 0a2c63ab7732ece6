"""Family-A switch assignment: the time-indexed MILP, its bounds and its search.

Lives here: ``data`` → ``model`` → ``bounds`` · ``anneal`` → ``plan`` → ``milp`` (the methods).
May import the family's data, ``qdcopt.solvers`` and the heuristics (warm starts).
"""
