"""Who manages the compliance library: head office's admins and compliance."""

from scrm.org.permissions import role_required
from scrm.org.roles import Role

LIBRARY_MANAGERS = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})
LibraryManagers = role_required(*LIBRARY_MANAGERS)
