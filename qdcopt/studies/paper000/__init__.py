"""Paper 000, the quantum datacenter: Figs. 3 (demand schedules), 4 (acceptance), 5 (jobs)."""
