"""Compatibility with peer tools: their exact semantics, for parity and migration."""
