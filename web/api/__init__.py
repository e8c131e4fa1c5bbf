"""The REST API under /api/v1: the same edge and the same permission checks as the desk's
pages, for programs. ``create_api`` builds it; ``web.app`` mounts it."""
