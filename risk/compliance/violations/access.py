"""Who works the violation queue: compliance reviews; HQ admins and branch managers (their subtree) read."""

from scrm.org.permissions import role_required
from scrm.org.roles import Role

QUEUE_READERS = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE, Role.BRANCH_MANAGER})
REVIEWERS = frozenset({Role.COMPLIANCE})
RESCANNERS = frozenset({Role.HQ_ADMIN, Role.COMPLIANCE})

QueueReaders = role_required(*QUEUE_READERS)
Reviewers = role_required(*REVIEWERS)
Rescanners = role_required(*RESCANNERS)
