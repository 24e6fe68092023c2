"""The committee tree (党组织), by organisation staff: create, rename or move, close and
reopen a committee inside the actor's subtrees, each with one audit row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import CommitteeKind, OrganisationAction
from branches.models import Branch, Committee
from branches.services.audit import field_changes, organisation_change_record
from branches.services.organisers import (
    clean_name,
    is_organiser_root,
    require_open,
    require_organiser,
)

# The audit list's labels of the fields these services change.
COMMITTEE_LABELS = {
    "name": gettext_lazy("名称"),
    "kind": gettext_lazy("类型"),
    "parent": gettext_lazy("上级党组织"),
}


def _require_unique_committee_name(*, parent: Committee, name: str, exclude_pk=None) -> None:
    siblings = Committee.objects.filter(parent=parent, name=name).exclude(pk=exclude_pk)
    if siblings.exists():
        raise ValidationError(
            {
                "name": _("“%(parent)s”下已有名为“%(name)s”的党组织。")
                % {"parent": parent, "name": name}
            }
        )


def _committee_facts(committee: Committee) -> dict:
    return {
        "name": committee.name,
        "kind": committee.get_kind_display(),
        "parent": committee.parent.name if committee.parent_id else "",
    }


@transaction.atomic
def committee_create(*, actor, parent: Committee, name: str, kind: str) -> Committee:
    """A new committee under `parent`, which must be open and in the actor's subtree."""
    require_organiser(actor, parent)
    parent = Committee.objects.select_for_update().get(pk=parent.pk)
    require_open(parent, field="parent")
    name = clean_name(name)
    if kind not in CommitteeKind.values:
        raise ValidationError({"kind": _("请选择党组织类型。")})
    _require_unique_committee_name(parent=parent, name=name)
    committee = Committee.objects.create(name=name, kind=kind, parent=parent)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.COMMITTEE_CREATE,
        committee=committee,
        subject=committee.name,
        changes=field_changes(
            dict.fromkeys(COMMITTEE_LABELS, ""), _committee_facts(committee), COMMITTEE_LABELS
        ),
    )
    return committee


@transaction.atomic
def committee_update(
    *, actor, committee: Committee, name: str, kind: str, parent: Committee | None = None
) -> Committee:
    """Rename the committee, change its kind, or move it under another parent in the actor's
    subtree (its whole subtree moves with it). `parent=None` keeps the parent. The top of
    the actor's own subtree can be renamed but not moved."""
    require_organiser(actor, committee)
    locked = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=committee.pk)
    )
    before = _committee_facts(locked)
    name = clean_name(name)
    if kind not in CommitteeKind.values:
        raise ValidationError({"kind": _("请选择党组织类型。")})
    moving = parent is not None and parent.pk != locked.parent_id
    if moving:
        if is_organiser_root(actor, locked):
            raise ValidationError({"parent": _("您负责的最上级党组织不能移动。")})
        if locked.is_closed:
            raise ValidationError({"parent": _("已撤销的党组织不能移动，请先恢复。")})
        require_organiser(actor, parent)
        parent = Committee.objects.select_for_update().get(pk=parent.pk)
        if parent.path.startswith(locked.path):
            raise ValidationError({"parent": _("上级党组织不能是本组织或其下级组织。")})
        require_open(parent, field="parent")
        locked.parent = parent
    if locked.parent_id and (name != locked.name or moving):
        _require_unique_committee_name(parent=locked.parent, name=name, exclude_pk=locked.pk)
    locked.name = name
    locked.kind = kind
    changes = field_changes(before, _committee_facts(locked), COMMITTEE_LABELS)
    if not changes:
        return locked
    locked.save()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.COMMITTEE_UPDATE,
        committee=locked,
        subject=locked.name,
        changes=changes,
    )
    return locked


@transaction.atomic
def committee_close(*, actor, committee: Committee) -> Committee:
    """Close the committee: it keeps its history but takes no new branches or committees.
    Refused while branches or open committees remain under it."""
    require_organiser(actor, committee)
    locked = Committee.objects.select_for_update().get(pk=committee.pk)
    if locked.is_closed:
        raise ValidationError(_("“%(name)s”已经撤销。") % {"name": locked.name})
    if is_organiser_root(actor, locked):
        raise ValidationError(_("您负责的最上级党组织不能撤销。"))
    branch_count = Branch.objects.filter(committee=locked).count()
    if branch_count:
        raise ValidationError(
            _("“%(name)s”下还有 %(count)s 个党支部，请先把它们转到其他党组织，再撤销。")
            % {"name": locked.name, "count": branch_count}
        )
    open_children = Committee.objects.filter(parent=locked, closed_at__isnull=True).count()
    if open_children:
        raise ValidationError(
            _("“%(name)s”下还有 %(count)s 个下级党组织未撤销，请先移走或撤销它们。")
            % {"name": locked.name, "count": open_children}
        )
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at"])
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.COMMITTEE_CLOSE,
        committee=locked,
        subject=locked.name,
    )
    return locked


@transaction.atomic
def committee_reopen(*, actor, committee: Committee) -> Committee:
    """Reopen a closed committee whose parent is open."""
    require_organiser(actor, committee)
    locked = (
        Committee.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=committee.pk)
    )
    if not locked.is_closed:
        raise ValidationError(_("“%(name)s”没有撤销，无需恢复。") % {"name": locked.name})
    if locked.parent_id and locked.parent.is_closed:
        raise ValidationError(
            _("上级党组织“%(parent)s”已撤销，请先恢复上级党组织。") % {"parent": locked.parent.name}
        )
    locked.closed_at = None
    locked.save(update_fields=["closed_at"])
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.COMMITTEE_REOPEN,
        committee=locked,
        subject=locked.name,
    )
    return locked
