"""The ``aloft`` command."""
