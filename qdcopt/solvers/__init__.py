"""The HiGHS layer: solver options, what a method claims about its plan, and two front ends.

Lives here: ``highs`` (options, :class:`SolveInfo`, pyomo solves) and ``arrays`` (models
stated as named blocks and handed to highspy). May import: numpy, pyomo, highspy; no family.
"""
