"""What people look at outside the CLI: the department calendar feed (the dashboard later)."""
