"""The family-A validator's array machinery: id look-ups and the rules' compiled loops.

Lives here: ``lookup`` (plan ids → instance positions, by object identity first),
``timeline`` (rules 3 and 4: switch timelines and the deliveries they serve), ``sweeps``
(job shifts, EPR-event reuse, stored pairs).  :mod:`qdcopt.datacenter.validate` sorts the
plan once, calls these, and words the violations.  May import nothing above the data.
"""
