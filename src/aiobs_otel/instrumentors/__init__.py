"""One ``BaseInstrumentor`` per provider API; shared wrapper code in ``_lifecycle``."""
