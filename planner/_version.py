"""The package version, in a module of its own so that reports can read it without importing
the whole public API (``planner/__init__.py`` re-exports it as ``planner.__version__``)."""

__version__ = "0.1.0"
