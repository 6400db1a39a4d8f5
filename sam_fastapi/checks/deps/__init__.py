"""SF501: the imports of a function against what its requirements, layers and runtime provide."""
