"""Family-D simulation: the demand service over days (controller, admission), simulate."""
