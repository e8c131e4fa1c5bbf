"""A case: its states, THE lifecycle table, guards, acts, payloads and record."""
