"""Storage: table definitions, the async engine, and the one Alembic history for both databases."""
