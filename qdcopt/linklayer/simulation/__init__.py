"""Family-C simulation: seeded closed-loop protocol runs and their metrics across seeds."""
