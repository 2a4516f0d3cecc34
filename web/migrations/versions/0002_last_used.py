"""When each link was last opened, for pruning the ones nobody opens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("links_last_used_at", "links", ["last_used_at"])


def downgrade() -> None:
    op.drop_index("links_last_used_at", "links")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("last_used_at")
