"""The links table: an id made from the content, the content, and when it was first stored.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("id", sa.String(43), primary_key=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("links_created_at", "links", ["created_at"])


def downgrade() -> None:
    op.drop_index("links_created_at", "links")
    op.drop_table("links")
