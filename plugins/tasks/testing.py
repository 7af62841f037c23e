"""What the access matrix (``core.testing.AccessMatrix``) needs to request every tasks route.
Tasks have no record access of their own, so their routes get a fixed id (no such task:
whoever passes the permission check gets 404)."""
from core.testing import MatrixDeclarations

NO_TASK = {"record_id": 999}

MATRIX = MatrixDeclarations(
    params={"tasks.detail": NO_TASK, "tasks.edit": NO_TASK, "tasks.set_status": NO_TASK, "tasks.delete": NO_TASK,
            "tasks.bulk": {"entity_type": "contact"}},
)
