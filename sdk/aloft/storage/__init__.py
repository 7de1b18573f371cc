"""The state store: runs, step events, materializations and partition state."""
