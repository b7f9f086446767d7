"""The service's live scopes: one guarded Scope per inventory entry, with audit and state."""
