"""The cast service: people who act in movies."""
