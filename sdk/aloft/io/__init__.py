"""I/O managers: where asset values are stored and loaded from."""
