"""GHZ requests in family B: fusion structures (:mod:`.model`), their planning
(:mod:`.planner`) and the validator's rules for them (:mod:`.checks`); ``models/ghz.md``."""
