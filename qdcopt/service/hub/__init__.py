"""Family-D ModEn-Hub (paper 001): Monte Carlo, exact expected values, attempt budget."""
