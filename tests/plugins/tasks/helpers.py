"""Small readers of task pages and a direct way to add tasks."""
from __future__ import annotations

import re
from datetime import datetime

from core import db
from plugins.tasks.models import Task


def add_task(world, title: str, due_at: datetime, who: str = "owner", **values) -> int:
    """A task saved directly (as the form would, with its reminder) for ``who``."""
    from core.auth.models import User
    from plugins.tasks import service

    with world.app.test_request_context():
        actor = db.session.get(User, world.users["owner"])
        data = {"title": title, "due_at": due_at, "responsible_id": world.users[who], "alert": "1d",
                "record_type": "", "record_id": None, "description": "", "category_id": None, **values}
        task = service.save(Task(), data, actor)
        db.session.commit()
        return task.id


def section(page: str, key: str) -> str:
    """The HTML of one section of "My tasks" (overdue, today, upcoming, closed)."""
    start = page.index(f'id="section-{key}"')
    end = page.find("<section", start)
    return page[start:end if end != -1 else len(page)]


def titles(html: str) -> list[str]:
    return re.findall(r'class="task-title[^"]*" href="[^"]+">([^<]+)</a>', html)
