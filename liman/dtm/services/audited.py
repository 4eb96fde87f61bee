"""Writes whose full text would swamp the audit log (XForms, instance XML), audited by a summary instead."""

from __future__ import annotations

from liman.core import audit
from liman.core.choices import AuditAction
from liman.core.models import User


def create_summarised(obj, *, by: User | None, summary: dict | None = None):
    """Validate, save and audit a record whose full text would swamp the audit log (XForms, instance XML)."""
    obj.full_clean()
    obj.save()
    audit.record(AuditAction.CREATE, actor=by, obj=obj, changes={k: [None, v] for k, v in (summary or {}).items()})
    return obj
