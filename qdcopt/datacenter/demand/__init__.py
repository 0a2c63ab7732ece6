"""Family-A demand: circuits → QPU placement → entanglement demand schedule (requests).

Lives here: ``circuits``, ``placement`` (with its compiled partitioner, ``partition``),
``schedule`` (the distributed circuit and its requests), ``jobs`` (``[[jobs]]`` tables) and
``decisions``. May import the family's data.
"""
