"""Alembic environment for smartcity-kit: runs on the connection the library hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the library runs these migrations
    msg = "smartcity-kit migrations run through `smartcity-kit db upgrade`, not the alembic CLI"
    raise RuntimeError(msg)

context.configure(
    connection=connection,
    target_metadata=None,
    render_as_batch=connection.dialect.name == "sqlite",
    transactional_ddl=True,
)
with context.begin_transaction():
    context.run_migrations()
