"""Family-C models: the time-indexed matching MILP and its solver-free lower bounds."""
