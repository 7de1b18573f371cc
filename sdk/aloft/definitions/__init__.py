"""Authoring-time definitions: assets, ops, jobs, config, resources and Definitions."""
