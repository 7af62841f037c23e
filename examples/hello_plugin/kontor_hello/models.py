"""The plugin's one table. Its name starts with the plugin's branch, ``hello_``: that is
how ``kontor db revision hello`` knows which tables are this plugin's."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core import TimestampMixin, db


class Greeting(TimestampMixin, db.Model):
    """A greeting someone left; ``created_at``/``updated_at`` (UTC) come from the mixin."""

    __tablename__ = "hello_greeting"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
