"""What every HTTP service shares: the app factory, auth, the error format, validation."""
