from django.db.models import Q, QuerySet

from branches.models import Branch, Committee, Member
from branches.permissions import staff_committee_paths


def committee_subtree(*, committee: Committee) -> QuerySet[Committee]:
    """The committee and every committee below it, in one query."""
    return Committee.objects.filter(path__startswith=committee.path)


def branches_in_subtree(*, committee: Committee) -> QuerySet[Branch]:
    """Every branch under the committee, at any depth, in one query."""
    return Branch.objects.filter(committee__path__startswith=committee.path)


def branches_visible_to(*, user) -> QuerySet[Branch]:
    """Branches the user may see: their own as secretary, and their committees' subtrees."""
    if not getattr(user, "is_authenticated", False):
        return Branch.objects.none()
    scope = Q(secretary=user)
    for path in staff_committee_paths(user):
        scope |= Q(committee__path__startswith=path)
    return Branch.objects.filter(scope)


def members_visible_to(*, user) -> QuerySet[Member]:
    return Member.objects.filter(branch__in=branches_visible_to(user=user))


def committees_visible_to(user) -> QuerySet[Committee]:
    scope = Q(pk__in=[])
    for path in staff_committee_paths(user):
        scope |= Q(path__startswith=path)
    return Committee.objects.filter(scope).order_by("path")
