"""Family-A instances made in memory: paper 000's hardware presets and storage windows
(``presets``) and seeded random instances with paper-000-like parameters (``generate``)."""
