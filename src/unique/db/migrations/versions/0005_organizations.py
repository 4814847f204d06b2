"""organizations and their members; projects an organization owns

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("handle", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("handle", name=op.f("uq_organizations_handle")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_members_org_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint("org_id", "user_id", name=op.f("uq_members_org_id_user_id")),
    )
    op.create_index(op.f("ix_members_user_id"), "members", ["user_id"])
    with op.batch_alter_table("projects") as table:
        table.add_column(sa.Column("org_id", sa.String(length=64), nullable=True))
        table.create_foreign_key(
            op.f("fk_projects_org_id_organizations"),
            "organizations",
            ["org_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        table.create_index("ix_projects_org_newest", ["org_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("projects") as table:
        table.drop_index("ix_projects_org_newest")
        table.drop_constraint(op.f("fk_projects_org_id_organizations"), type_="foreignkey")
        table.drop_column("org_id")
    op.drop_index(op.f("ix_members_user_id"), table_name="members")
    op.drop_table("members")
    op.drop_table("organizations")
