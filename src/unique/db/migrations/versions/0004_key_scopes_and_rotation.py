"""keys carry scopes and remember the key they were rotated to

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as table:
        table.add_column(sa.Column("scopes", sa.String(length=256), nullable=True))
        table.add_column(sa.Column("rotated_to", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as table:
        table.drop_column("rotated_to")
        table.drop_column("scopes")
