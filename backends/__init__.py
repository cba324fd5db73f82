"""Backends under test: one module per backend, all behind ``backends.base.Backend``."""
