"""queuetui: a terminal operations console for RQ."""

__version__ = "0.1.0"
