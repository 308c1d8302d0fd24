"""Deployment helpers that run on the developer's machine, never in Azure (func-ignored)."""
