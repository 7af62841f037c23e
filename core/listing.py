"""Lists with keyset pagination: a page is found by the last row of the page before, never
by ``OFFSET``, so a deep page costs what the first one does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, tuple_

from core.db import db

PAGE_SIZE = 25


@dataclass
class Page:
    rows: list[Any]
    next_after: Any
    sort: str
    direction: str
    first: bool


def paginate(query: Select, model, sort_columns: dict[str, Any], sort: str, direction: str,
             after: str | None, page_size: int = PAGE_SIZE) -> Page:
    """One page of ``query`` ordered by ``sort_columns[sort]`` and then the primary key.

    ``after`` is the id of the last row of the previous page; an unknown ``sort`` falls back
    to the first sortable column, an unknown id to the first page."""
    if sort not in sort_columns:
        sort = next(iter(sort_columns))
    direction = "desc" if direction == "desc" else "asc"
    column = sort_columns[sort]
    pk = model.id
    unanchored = query
    anchor_id = None
    if after:
        try:
            anchor_id = int(after)
        except ValueError:
            anchor_id = None
    if anchor_id is not None:
        anchor_value = select(column).where(pk == anchor_id).scalar_subquery()
        position = tuple_(column, pk)
        anchor = tuple_(anchor_value, anchor_id)
        query = query.where(position < anchor if direction == "desc" else position > anchor)
    order = (column.desc(), pk.desc()) if direction == "desc" else (column.asc(), pk.asc())
    rows = list(db.session.execute(query.order_by(*order).limit(page_size + 1)).scalars())
    if not rows and anchor_id is not None and db.session.get(model, anchor_id) is None:
        # The previous page's last row was deleted meanwhile: start again at the first page.
        return paginate(unanchored, model, sort_columns, sort, direction, None, page_size)
    next_after = rows[page_size - 1].id if len(rows) > page_size else None
    return Page(rows=rows[:page_size], next_after=next_after, sort=sort, direction=direction,
                first=anchor_id is None)


def move(rows: list, row, direction: str) -> None:
    """Move ``row`` one place ``"up"`` or ``"down"`` among ``rows`` (in their shown order) and
    renumber every row's ``position``, so equal positions of old rows cannot keep the order
    stuck. The caller commits."""
    ordered = list(rows)
    index = ordered.index(row)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
