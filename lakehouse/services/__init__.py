"""Per-service preparation run by the launcher before a service's command starts."""
