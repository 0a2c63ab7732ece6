"""Paper 004, the quantum link layer: Table V and Figs. 8, 10 and 11."""
