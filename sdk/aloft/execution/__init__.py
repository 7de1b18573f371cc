"""Execution: the step runner, the in-process executor and ``materialize``."""
