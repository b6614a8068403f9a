"""Adapters plugged into the planner by its one bootstrap (planner/wiring.py): faster storage."""
