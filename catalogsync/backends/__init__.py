"""Backends: one package per billing system, plus the shared HTTP policy in `_http`."""
