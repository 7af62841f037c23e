"""Switching modules on and off at run time."""
from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select

from core.db import db, utcnow
from core.models import ModuleState
from core.runtime import kontor

log = logging.getLogger(__name__)


class ModuleError(ValueError):
    """A switch that is not allowed; the message says why, for the admin."""


def set_enabled(name: str, enabled: bool, user=None) -> None:
    module = kontor.module(name)
    if module is None:
        raise ModuleError(_("There is no installed module %(name)s.", name=name))
    kontor.refresh()
    labels = {m.name: m.label for m in kontor.modules}
    if enabled:
        missing = [labels.get(d, d) for d in module.depends if not kontor.is_enabled(d)]
        if missing:
            raise ModuleError(
                _("%(module)s needs %(needed)s. Switch that on first.",
                  module=module.label, needed=", ".join(missing))
            )
    else:
        if module.essential:
            raise ModuleError(_("%(module)s is essential and cannot be switched off.", module=module.label))
        dependants = [m.label for m in kontor.modules if name in m.depends and kontor.is_enabled(m.name)]
        if dependants:
            raise ModuleError(
                _("%(module)s is needed by %(dependants)s. Switch those off first.",
                  module=module.label, dependants=", ".join(dependants))
            )
    if kontor.is_enabled(name) == enabled:
        return
    row = db.session.execute(select(ModuleState).where(ModuleState.name == name)).scalar_one_or_none()
    if row is None:
        row = ModuleState(name=name)
        db.session.add(row)
    row.enabled = enabled
    row.changed_at = utcnow()
    row.changed_by_id = getattr(user, "id", None)
    kontor.bump_revision()
    db.session.commit()
    kontor.refresh(force=True)
    try:
        if enabled:
            kontor.hook("module_enabled", name=name)
        else:
            # The module switched off hears it too: it is no longer among the enabled ones.
            kontor.plugins.call("module_disabled", kontor.enabled | {name}, name=name)
    except Exception:  # the switch is stored; a plugin's listener failing must not undo it
        log.exception("A plugin failed while being told that module %s was switched", name)
