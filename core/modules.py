"""Switching modules on and off at run time, and who may use them."""
from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import delete, select

from core import audit
from core.db import db, utcnow
from core.models import ModuleGrant, ModuleState
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
    row = _state_row(name)
    row.enabled = enabled
    row.changed_at = utcnow()
    row.changed_by_id = getattr(user, "id", None)
    audit.record("module_switched", user=user, subject=str(module.label), module=name, enabled=enabled)
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


def _state_row(name: str) -> ModuleState:
    row = db.session.execute(select(ModuleState).where(ModuleState.name == name)).scalar_one_or_none()
    if row is None:
        row = ModuleState(name=name)
        db.session.add(row)
    return row


def grants(name: str, kind: str) -> tuple[list[int], list[int]]:
    """The user ids and group ids granted ``kind`` ("access" or "admin") on module ``name``."""
    rows = db.session.execute(select(ModuleGrant.user_id, ModuleGrant.group_id).where(
        ModuleGrant.module == name, ModuleGrant.kind == kind)).all()
    return sorted(u for u, _ in rows if u is not None), sorted(g for _, g in rows if g is not None)


def set_access(name: str, restricted: bool, access_users, access_groups, admin_users, admin_groups,
               user=None) -> None:
    """Store who may use module ``name`` (everybody unless ``restricted``) and who are its
    module admins, in one transaction, and tell every process."""
    module = kontor.module(name)
    if module is None:
        raise ModuleError(_("There is no installed module %(name)s.", name=name))
    if module.essential and restricted:
        raise ModuleError(_("%(module)s is essential: every user needs it.", module=module.label))
    _state_row(name).restricted = restricted
    db.session.execute(delete(ModuleGrant).where(ModuleGrant.module == name))
    for kind, user_ids, group_ids in (("access", access_users, access_groups), ("admin", admin_users, admin_groups)):
        db.session.add_all([ModuleGrant(module=name, kind=kind, user_id=u) for u in sorted(set(user_ids))])
        db.session.add_all([ModuleGrant(module=name, kind=kind, group_id=g) for g in sorted(set(group_ids))])
    audit.record("module_access_changed", user=user, subject=str(module.label), module=name, restricted=restricted,
                 access_users=sorted(set(access_users)), access_groups=sorted(set(access_groups)),
                 admin_users=sorted(set(admin_users)), admin_groups=sorted(set(admin_groups)))
    kontor.bump_revision()
    db.session.commit()
    kontor.refresh(force=True)
