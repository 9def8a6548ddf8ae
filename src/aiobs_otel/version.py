"""The one place the package version lives (pyproject reads it, system labels report it)."""

__version__ = "0.1.0"
