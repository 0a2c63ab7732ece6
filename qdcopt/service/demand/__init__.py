"""Family-D demand: network and PGA durations, demand classes, configuration, jobs."""
