"""Family-A job-level methods: which jobs run, on which QPUs, from when.

Lives here: ``candidates``, ``selection`` (MILP), ``pipeline``, ``admission``, ``buffers``.
May import the family's data, ``demand``, the request-level methods and ``qdcopt.solvers``.
"""
