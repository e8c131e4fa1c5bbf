"""Councils and their sessions: the session table, record, checks and minutes."""
