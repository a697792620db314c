"""Development tools: the local stack runner, its supervisor and the mail sink (not shipped)."""
