"""Networks to plan on: Waxman generation, graph files (GML, GraphML) and repeater insertion."""
