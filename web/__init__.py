"""What people look at outside the CLI: the desk (FastAPI pages, the API, calendar feeds)."""
