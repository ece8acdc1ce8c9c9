"""Plugin contracts (one module per kind), the error type, and the registry."""
