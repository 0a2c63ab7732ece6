"""Family-C heuristics: greedy maximal-matching list scheduling and serial repair."""
