"""Paper 002, entanglement as a service: Fig. 4.3, under the current and the former parameters."""
