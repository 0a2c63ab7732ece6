"""The executors besides the route executor: the dynamic connectionless baseline (no plan)
and plans that purify, run tree by tree as planned."""
