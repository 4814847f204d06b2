"""audit events name the client and the request

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.add_column(
            sa.Column("user_agent", sa.String(length=256), nullable=False, server_default="")
        )
        table.add_column(
            sa.Column("request_id", sa.String(length=128), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.drop_column("request_id")
        table.drop_column("user_agent")
