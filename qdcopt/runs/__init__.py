"""What every long run shares: the one stop flag (Ctrl-C keeps the work) and progress on stderr."""
