"""The desk's pages, one module per area."""
