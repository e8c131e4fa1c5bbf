"""和暦, municipal business days, fiscal years and the business clock."""
