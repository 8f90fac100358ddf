"""Custom actions for the action server, one module per concern."""
