"""Alembic environment: runs the migration history on the connection `unique.db.migrate` gives."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from unique.db.tables import Base

# Serialises concurrent upgrades from several nodes starting at once against one PostgreSQL.
POSTGRES_MIGRATION_LOCK = 7_316_372_901

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
if connection.dialect.name == "postgresql":
    connection.execute(text(f"SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK})"))
with context.begin_transaction():
    context.run_migrations()
