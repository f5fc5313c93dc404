"""scsim's version, in a module of its own so that scsim's modules can read it without importing
the package root (which imports them). Keep it equal to pyproject.toml's ``version``."""

__version__ = "0.1.0"
