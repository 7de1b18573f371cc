"""The asset graph: validation, topological order, closures and selection."""
