"""Family-D models: the time-indexed MILP of one scheduling interval."""
