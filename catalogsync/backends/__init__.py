"""Billing-system backends: one package per system (client, wire models, mapping, backend)."""
