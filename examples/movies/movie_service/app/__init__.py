"""The movie service: movies and who plays in them."""
