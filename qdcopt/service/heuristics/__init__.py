"""Family-D interval heuristics: earliest deadline first and its compiled loop."""
