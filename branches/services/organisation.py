"""Writes on the organisation by organisation staff (组织部门管理员): the committee tree,
branches, and pairings. Each checks the actor keeps the organisation of every committee it
touches, refuses bad input with a Chinese message, and writes one audit row."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import BranchKind, CommitteeKind, OrganisationAction
from branches.models import Branch, Committee, Member, MemberPairing, Pairing
from branches.permissions import is_organisation_staff_over, organisation_committee_paths
from branches.services.audit import field_changes, organisation_change_record

# The audit list's labels of the fields these services change.
COMMITTEE_LABELS = {
    "name": gettext_lazy("名称"),
    "kind": gettext_lazy("类型"),
    "parent": gettext_lazy("上级党组织"),
}
BRANCH_LABELS = {
    "name": gettext_lazy("名称"),
    "kind": gettext_lazy("类型"),
    "village": gettext_lazy("所在村（社区）"),
    "secretary_name": gettext_lazy("支部书记"),
    "committee": gettext_lazy("上级党委"),
}
# Branch kinds whose branches sit in one village or community, which they must name.
PLACED_KINDS = (BranchKind.VILLAGE, BranchKind.COMMUNITY)
EARLIEST_PAIRING_YEAR = 2000


def require_organiser(actor, committee: Committee) -> None:
    """PermissionDenied unless the actor keeps the organisation of this committee."""
    if not is_organisation_staff_over(actor, committee):
        raise PermissionDenied(_("您只能管理本级及下级党组织。"))


def is_organiser_root(actor, committee: Committee) -> bool:
    """Whether the committee is the top of one of the actor's subtrees: not strictly below
    another committee whose organisation the actor keeps."""
    return not any(
        committee.path.startswith(path) and committee.path != path
        for path in organisation_committee_paths(actor)
    )


def _clean_name(name: str, *, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({field: _("请填写名称。")})
    return name


def _require_open(committee: Committee, *, field: str) -> None:
    if committee.is_closed:
        raise ValidationError(
            {field: _("“%(name)s”已撤销，不能在其下新建或转入。") % {"name": committee.name}}
        )


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


# ---------------------------------------------------------------------------
# Committees
# ---------------------------------------------------------------------------
@transaction.atomic
def committee_create(*, actor, parent: Committee, name: str, kind: str) -> Committee:
    """A new committee under `parent`, which must be open and in the actor's subtree."""
    require_organiser(actor, parent)
    parent = Committee.objects.select_for_update().get(pk=parent.pk)
    _require_open(parent, field="parent")
    name = _clean_name(name)
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
    locked = Committee.objects.select_for_update().select_related("parent").get(pk=committee.pk)
    before = _committee_facts(locked)
    name = _clean_name(name)
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
        _require_open(parent, field="parent")
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
    locked = Committee.objects.select_for_update().select_related("parent").get(pk=committee.pk)
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


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
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
    _require_open(committee, field="committee")
    name = _clean_name(name)
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
        _require_open(target, field="committee")
    name = _clean_name(name)
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


# ---------------------------------------------------------------------------
# Pairings (结对共建) of branches and of members
# ---------------------------------------------------------------------------
def _check_year(year: int) -> None:
    last = timezone.localdate().year + 1
    if not EARLIEST_PAIRING_YEAR <= int(year) <= last:
        raise ValidationError(
            {
                "year": _("年度须在 %(first)s 年到 %(last)s 年之间。")
                % {"first": EARLIEST_PAIRING_YEAR, "last": last}
            }
        )


def _require_village(branch: Branch) -> None:
    if branch.kind != BranchKind.VILLAGE:
        raise ValidationError({"village_branch": _("结对对象须是农村党支部。")})


def _touch(*branches: Branch) -> None:
    """The public pages of these branches show their pairings of the year."""
    Branch.objects.filter(pk__in=[b.pk for b in branches]).update(public_changed_at=timezone.now())


@transaction.atomic
def pairing_create(*, actor, office_branch: Branch, village_branch: Branch, year: int) -> Pairing:
    """Pair an office (non-village) branch with a village branch for a year."""
    require_organiser(actor, office_branch.committee)
    require_organiser(actor, village_branch.committee)
    if office_branch.kind == BranchKind.VILLAGE:
        raise ValidationError({"office_branch": _("机关（单位）一方不能是农村党支部。")})
    _require_village(village_branch)
    _check_year(year)
    if Pairing.objects.filter(
        office_branch=office_branch, village_branch=village_branch, year=year
    ).exists():
        raise ValidationError(_("%(year)s 年已有这一结对。") % {"year": year})
    pairing = Pairing.objects.create(
        office_branch=office_branch, village_branch=village_branch, year=year
    )
    _touch(office_branch, village_branch)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_CREATE,
        committee=village_branch.committee,
        subject=str(pairing),
        changes={
            str(_("结对共建")): ["", f"{office_branch.name} ↔ {village_branch.name}"],
            str(_("年度")): ["", str(year)],
        },
    )
    return pairing


@transaction.atomic
def pairing_delete(*, actor, pairing: Pairing) -> None:
    """End a pairing: both branches must be in the actor's subtree."""
    pairing = Pairing.objects.select_related(
        "office_branch__committee", "village_branch__committee"
    ).get(pk=pairing.pk)
    require_organiser(actor, pairing.office_branch.committee)
    require_organiser(actor, pairing.village_branch.committee)
    subject = str(pairing)
    pairing.delete()
    _touch(pairing.office_branch, pairing.village_branch)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_DELETE,
        committee=pairing.village_branch.committee,
        subject=subject,
        changes={
            str(_("结对共建")): [
                f"{pairing.office_branch.name} ↔ {pairing.village_branch.name}",
                "",
            ],
            str(_("年度")): [str(pairing.year), ""],
        },
    )


def _member_pairing_label(member: Member, village_branch: Branch) -> str:
    return f"{member.name}（{member.branch.name}）↔ {village_branch.name}"


@transaction.atomic
def member_pairing_create(
    *, actor, member: Member, village_branch: Branch, year: int
) -> MemberPairing:
    """Pair an active member of an office (non-village) branch with a village for a year."""
    member = Member.objects.select_related("branch__committee").get(pk=member.pk)
    require_organiser(actor, member.branch.committee)
    require_organiser(actor, village_branch.committee)
    if member.branch.kind == BranchKind.VILLAGE:
        raise ValidationError({"member": _("双结对的党员须来自机关（单位）党支部。")})
    if not member.is_active:
        raise ValidationError({"member": _("该党员已不在册。")})
    _require_village(village_branch)
    _check_year(year)
    if MemberPairing.objects.filter(
        member=member, village_branch=village_branch, year=year
    ).exists():
        raise ValidationError(_("%(year)s 年已有这一结对。") % {"year": year})
    pairing = MemberPairing.objects.create(member=member, village_branch=village_branch, year=year)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_CREATE,
        committee=village_branch.committee,
        subject=str(pairing),
        changes={
            str(_("党员结对")): [
                "",
                _member_pairing_label(member, village_branch),
            ],
            str(_("年度")): ["", str(year)],
        },
    )
    return pairing


@transaction.atomic
def member_pairing_delete(*, actor, pairing: MemberPairing) -> None:
    """End a member's pairing: the member's branch and the village in the actor's subtree."""
    pairing = MemberPairing.objects.select_related(
        "member__branch__committee", "village_branch__committee"
    ).get(pk=pairing.pk)
    require_organiser(actor, pairing.member.branch.committee)
    require_organiser(actor, pairing.village_branch.committee)
    subject = str(pairing)
    pairing.delete()
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.PAIRING_DELETE,
        committee=pairing.village_branch.committee,
        subject=subject,
        changes={
            str(_("党员结对")): [_member_pairing_label(pairing.member, pairing.village_branch), ""],
            str(_("年度")): [str(pairing.year), ""],
        },
    )
