"""Imports of core-banking extracts (customers and product holdings): see docs/imports.md."""
