"""Service directory: services, who each is for, what each offers.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("phone", sa.String(80)),
        sa.Column("text_number", sa.String(40)),
        sa.Column("text_keyword", sa.String(40)),
        sa.Column("text_url", sa.String(500)),
        sa.Column("email", sa.String(200)),
        sa.Column("website", sa.String(500)),
        sa.Column("webchat", sa.String(500)),
        sa.Column("forum", sa.String(500)),
        sa.Column("address", sa.String(500)),
        sa.Column("hours", sa.String(200)),
        sa.Column("region", sa.String(100)),
        sa.Column("section", sa.String(200), nullable=False),
    )
    for table, column in (("service_audiences", "audience"), ("service_offers", "offer")):
        op.create_table(
            table,
            sa.Column(
                "service_id",
                sa.Integer,
                sa.ForeignKey("services.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column(column, sa.String(40), primary_key=True),
        )


def downgrade() -> None:
    op.drop_table("service_offers")
    op.drop_table("service_audiences")
    op.drop_table("services")
