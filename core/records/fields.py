"""Record service: fields. (Being built; see core/records/__init__.py.)"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("records_fields", __name__, url_prefix="/records")


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Remove this service's rows of a deleted record (part of the caller's transaction)."""
