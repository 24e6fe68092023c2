"""Reads for the workspace pages, scoped to what the person may see."""

import datetime
from collections.abc import Iterable

from django.db.models import (
    Case,
    IntegerField,
    QuerySet,
    TextChoices,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from branches.models import Pairing

# branch_for, member_for and secretary_branch read branches only and live in
# branches.selectors; they are re-exported for the modules that import them from here.
from branches.selectors import branch_for, branches_visible_to, member_for, secretary_branch  # noqa: F401
from pledges.enums import PledgeMove, Urgency
from pledges.models import Need, Pledge, PledgeTransition
from pledges.workflow import OPEN_STATUSES  # noqa: F401  (re-exported: imported from here)

# Most urgent first: sort needs with .order_by(URGENCY_RANK, ...).
URGENCY_RANK = Case(
    When(urgency=Urgency.HIGH, then=Value(0)),
    When(urgency=Urgency.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def label_choices(rows: Iterable, **fields: type[TextChoices]) -> None:
    """Give each row a `<field>_label` for each field named: its value's label in the
    TextChoices given, the text of Django's get_<field>_display (an unknown value is shown
    as it is, as there). Django's rebuilds the field's whole choices dict on each call,
    translating every label of it: on a page of many rows that is much of the page's time;
    an enum lookup is one translation."""
    for row in rows:
        for field, choices in fields.items():
            value = getattr(row, field)
            try:
                label = choices(value).label
            except ValueError:
                label = value
            setattr(row, f"{field}_label", label)


def pledges_visible_to(*, user) -> QuerySet[Pledge]:
    return Pledge.objects.filter(owner_branch__in=branches_visible_to(user=user))


def needs_visible_to(*, user) -> QuerySet[Need]:
    return Need.objects.filter(branch__in=branches_visible_to(user=user))


def need_branch_ids(*, branch, years) -> set[int]:
    """Branches whose needs list the branch's pledges of `years` may answer: its own and,
    for an office branch, the villages it is paired with (结对共建) in one of those years."""
    paired = Pairing.objects.filter(office_branch=branch, year__in=list(years)).values_list(
        "village_branch_id", flat=True
    )
    return {branch.pk, *paired}


def pledge_for(*, user, pledge_id: int) -> Pledge:
    """The pledge if the user may see it, else 404; with its branch and committee (the
    permission predicates read them) and its pledger. The branch's secretary is known by
    its id (`owner_branch.secretary_id`), which no page needs more of."""
    return get_object_or_404(
        pledges_visible_to(user=user).select_related("owner_branch__committee", "branch", "member"),
        pk=pledge_id,
    )


def need_for(*, user, need_id: int) -> Need:
    return get_object_or_404(needs_visible_to(user=user).select_related("branch"), pk=need_id)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


RESUBMISSION_FIELDS = {
    "title": _("承诺事项"),
    "content": _("具体内容"),
    "beneficiaries": _("服务对象"),
    "category": _("类别"),
    "due_date": _("完成时限"),
    "rhythm": _("频次"),
    "needs": _("认领的需求"),
    "time_nodes": _("时间节点"),
}


def pledge_resubmission_changes(*, pledge: Pledge) -> list[tuple[str, str, str]]:
    """(field label, as first sent, as sent now) for each field that changed between the
    last two submissions; empty when the pledge was submitted once or not at all."""
    snapshots = list(
        PledgeTransition.objects.filter(pledge=pledge, move=PledgeMove.SUBMIT)
        .order_by("-created_at", "-pk")
        .values_list("snapshot", flat=True)[:2]
    )
    if len(snapshots) < 2:
        return []
    latest, previous = snapshots

    def text(value):
        return "\n".join(value) if isinstance(value, list) else str(value or "")

    return [
        (str(label), text(previous.get(key)), text(latest.get(key)))
        for key, label in RESUBMISSION_FIELDS.items()
        if previous.get(key) != latest.get(key)
    ]
