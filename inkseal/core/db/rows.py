"""Small query helpers shared by the services."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def unique_row(rows: QuerySet[M]) -> M | None:
    """The row a unique lookup names, or None: like first() without its ORDER BY."""
    found = list(rows.order_by()[:1])
    return found[0] if found else None
