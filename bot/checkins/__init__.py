"""Follow-up check-ins: planning (pure) and dispatching."""
