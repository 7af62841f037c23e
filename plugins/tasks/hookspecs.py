"""The tasks module's own hook: other modules name the entity types whose records get a
"Tasks" tab, a "Create task for each" bulk action and tasks moved along when merged."""
from core.hookspecs import hookspec


@hookspec
def task_entity_types():
    """Return a list of entity type names (e.g. ``["contact"]``) whose records have tasks."""
