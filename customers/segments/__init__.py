"""Segments (客群): saved audiences of customers, defined by tags and a rule."""
