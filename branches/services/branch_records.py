"""Branches (党支部), by organisation staff: create a branch under an open committee of the
actor's subtrees, change it or move it to another, each with one audit row."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import BranchKind, OrganisationAction
from branches.models import Branch, Committee
from branches.services.audit import field_changes, organisation_change_record
from branches.services.organisers import clean_name, require_open, require_organiser

# The audit list's labels of the fields these services change.
BRANCH_LABELS = {
    "name": gettext_lazy("名称"),
    "kind": gettext_lazy("类型"),
    "village": gettext_lazy("所在村（社区）"),
    "secretary_name": gettext_lazy("支部书记"),
    "committee": gettext_lazy("上级党委"),
}
# Branch kinds whose branches sit in one village or community, which they must name.
PLACED_KINDS = (BranchKind.VILLAGE, BranchKind.COMMUNITY)


def _branch_facts(branch: Branch) -> dict:
    return {
        "name": branch.name,
        "kind": branch.get_kind_display(),
        "village": branch.village,
        "secretary_name": branch.secretary_name,
        "committee": branch.committee.name,
    }


def _check_branch_data(
    *, committee: Committee, name: str, kind: str, village: str, exclude_pk=None
):
    if kind not in BranchKind.values:
        raise ValidationError({"kind": _("请选择党支部类型。")})
    if kind in PLACED_KINDS and not village:
        raise ValidationError({"village": _("农村和社区党支部须填写所在村（社区）。")})
    if Branch.objects.filter(committee=committee, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError(
            {
                "name": _("“%(committee)s”下已有名为“%(name)s”的党支部。")
                % {"committee": committee.name, "name": name}
            }
        )


@transaction.atomic
def branch_create(
    *,
    actor,
    committee: Committee,
    name: str,
    kind: str,
    village: str = "",
    secretary_name: str = "",
) -> Branch:
    """A new branch under an open committee of the actor's subtree."""
    require_organiser(actor, committee)
    committee = Committee.objects.select_for_update().get(pk=committee.pk)
    require_open(committee, field="committee")
    name = clean_name(name)
    village, secretary_name = village.strip(), secretary_name.strip()
    _check_branch_data(committee=committee, name=name, kind=kind, village=village)
    branch = Branch(
        committee=committee, name=name, kind=kind, village=village, secretary_name=secretary_name
    )
    branch.full_clean()
    branch.save()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.BRANCH_CREATE,
        committee=committee,
        subject=branch.name,
        changes=field_changes(
            dict.fromkeys(BRANCH_LABELS, ""), _branch_facts(branch), BRANCH_LABELS
        ),
    )
    return branch


@transaction.atomic
def branch_update(
    *,
    actor,
    branch: Branch,
    name: str,
    kind: str,
    village: str = "",
    secretary_name: str = "",
    committee: Committee | None = None,
) -> Branch:
    """Change a branch's name, kind, village or secretary's name, or move it to another
    open committee of the actor's subtree (`committee=None` keeps it where it is)."""
    require_organiser(actor, branch.committee)
    locked = Branch.objects.select_for_update().select_related("committee").get(pk=branch.pk)
    before = _branch_facts(locked)
    target = locked.committee
    if committee is not None and committee.pk != locked.committee_id:
        require_organiser(actor, committee)
        target = Committee.objects.select_for_update().get(pk=committee.pk)
        require_open(target, field="committee")
    name = clean_name(name)
    village, secretary_name = village.strip(), secretary_name.strip()
    _check_branch_data(
        committee=target, name=name, kind=kind, village=village, exclude_pk=locked.pk
    )
    if kind != locked.kind:
        if locked.kind == BranchKind.VILLAGE and (
            locked.pairings_as_village.exists() or locked.member_pairings.exists()
        ):
            raise ValidationError(
                {"kind": _("该支部是结对共建的村党支部，请先取消它的结对，再改为其他类型。")}
            )
        if kind == BranchKind.VILLAGE and locked.pairings_as_office.exists():
            raise ValidationError(
                {
                    "kind": _(
                        "该支部作为机关（单位）一方参加结对共建，请先取消结对，再改为农村党支部。"
                    )
                }
            )
    locked.committee = target
    locked.name, locked.kind = name, kind
    locked.village, locked.secretary_name = village, secretary_name
    changes = field_changes(before, _branch_facts(locked), BRANCH_LABELS)
    if not changes:
        return locked
    locked.full_clean()
    # The public pages show the name, kind, village, secretary and committee.
    locked.public_changed_at = timezone.now()
    locked.save()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.BRANCH_UPDATE,
        committee=target,
        subject=locked.name,
        changes=changes,
    )
    return locked
