"""Writes to the needs list (研诺): register, edit, set aside, reopen, merge, resolve.

Every service checks that the actor runs the need's branch (its secretary), works in
one transaction, and refuses with a ValidationError carrying a Chinese message.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Branch
from branches.permissions import can_manage_branch
from pledges.enums import NeedStatus, PledgeStatus, Urgency
from pledges.models import Need, Pledge
from pledges.workflow import DONE_STATUSES

NEED_FIELDS = ("description", "category", "source", "raised_by", "urgency", "village")
# Statuses a need may be merged or claimed in: it is still waiting for its pledge's result.
LIVE_NEED_STATUSES = frozenset({NeedStatus.OPEN, NeedStatus.CLAIMED})
# The most urgent first.
URGENCY_ORDER = (Urgency.HIGH, Urgency.MEDIUM, Urgency.LOW)
# The line that carries a merged duplicate's source when raised_by has no room for it.
ALSO_FROM_PREFIX = "同时来源："


def _check_manager(actor, branch: Branch) -> None:
    if not can_manage_branch(actor, branch):
        raise PermissionDenied(_("只有本支部书记可以管理需求清单。"))


def active_claims():
    """Links between needs and pledges that still claim them (a withdrawn pledge does not)."""
    return Pledge.needs.through.objects.exclude(pledge__status=PledgeStatus.WITHDRAWN)


def needs_release(*, need_ids: Iterable[int]) -> int:
    """Set back to open each claimed need among `need_ids` that no pledge claims any more."""
    claimed = active_claims().filter(need=OuterRef("pk"))
    return (
        Need.objects.filter(pk__in=list(need_ids), status=NeedStatus.CLAIMED)
        .exclude(Exists(claimed))
        .update(status=NeedStatus.OPEN, updated_at=timezone.now())
    )


def needs_claim(*, need_ids: Iterable[int]) -> int:
    """Mark the open needs among `need_ids` claimed."""
    return Need.objects.filter(pk__in=list(need_ids), status=NeedStatus.OPEN).update(
        status=NeedStatus.CLAIMED, updated_at=timezone.now()
    )


def need_create(
    *,
    branch: Branch,
    actor,
    description: str,
    category: str,
    source: str,
    raised_by: str = "",
    urgency: str = Urgency.MEDIUM,
    village: str = "",
) -> Need:
    """Register a need of the branch's village, open. An empty village takes the branch's."""
    _check_manager(actor, branch)
    need = Need(
        branch=branch,
        description=description,
        category=category,
        source=source,
        raised_by=raised_by,
        urgency=urgency,
        village=village or branch.village,
    )
    need.full_clean(exclude=["branch"])
    with transaction.atomic():
        need.save()
    return need


def need_update(*, need: Need, actor, **fields) -> Need:
    """Change the wording, category, source, raiser, urgency or village of a need."""
    _check_manager(actor, need.branch)
    unknown = set(fields) - set(NEED_FIELDS)
    if unknown:
        raise TypeError(f"need_update() got unexpected fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(need, name, value)
    if not need.village:
        need.village = need.branch.village
    need.full_clean(exclude=["branch"])
    with transaction.atomic():
        need.save(update_fields=sorted({*fields, "village", "updated_at"}))
    return need


def _locked(need: Need) -> Need:
    return Need.objects.select_for_update().select_related("branch").get(pk=need.pk)


def need_drop(*, need: Need, actor) -> Need:
    """Set a need aside (已搁置). Refused once solved, or while a pledge claims it."""
    _check_manager(actor, need.branch)
    with transaction.atomic():
        current = _locked(need)
        if current.status == NeedStatus.DROPPED:
            return current
        if current.status == NeedStatus.RESOLVED:
            raise ValidationError(_("已解决的需求不能搁置。"))
        if active_claims().filter(need=current).exists():
            raise ValidationError(
                _("该需求已有承诺认领，不能搁置；如确需搁置，请先在承诺中取消认领。")
            )
        current.status = NeedStatus.DROPPED
        current.save(update_fields=["status", "updated_at"])
    need.status = current.status
    return current


def need_reopen(*, need: Need, actor) -> Need:
    """Take a need set aside back onto the list: open, or claimed if a pledge still holds it."""
    _check_manager(actor, need.branch)
    with transaction.atomic():
        current = _locked(need)
        if current.status != NeedStatus.DROPPED:
            raise ValidationError(_("只有已搁置的需求可以恢复。"))
        claimed = active_claims().filter(need=current).exists()
        current.status = NeedStatus.CLAIMED if claimed else NeedStatus.OPEN
        current.save(update_fields=["status", "updated_at"])
    need.status = current.status
    return current


def need_resolve(*, need: Need, actor) -> Need:
    """Mark a need solved (已解决): allowed once at least one pledge that claims it is done
    (completed, verified or evaluated)."""
    _check_manager(actor, need.branch)
    with transaction.atomic():
        current = _locked(need)
        if current.status == NeedStatus.RESOLVED:
            return current
        if current.status == NeedStatus.DROPPED:
            raise ValidationError(_("已搁置的需求不能标记为已解决，请先恢复。"))
        if not current.pledges.filter(status__in=DONE_STATUSES).exists():
            raise ValidationError(
                _("认领该需求的承诺还没有完成，暂不能标记为已解决。承诺完成后再来标记。")
            )
        current.status = NeedStatus.RESOLVED
        current.save(update_fields=["status", "updated_at"])
    need.status = current.status
    return current


def _source_entry(need: Need) -> str:
    """“李四（座谈会）”: who raised a need and how it was gathered."""
    return f"{need.raised_by}（{need.get_source_display()}）"


def _also_from_lines(description: str) -> list[str]:
    return [line for line in description.splitlines() if line.startswith(ALSO_FROM_PREFIX)]


def need_merge(*, keep: Need, duplicate: Need, actor) -> Need:
    """Fold `duplicate` into `keep`: two lines of the list that say the same thing.

    The kept need's wording stays. Both sources stay visible: the duplicate's raiser and
    source are appended to the kept need's raised_by (“张三；李四（座谈会）”), or, when the
    field has no room left, as a line “同时来源：李四（座谈会）” at the end of its
    description (lines of that kind already on the duplicate come along too). The kept
    need takes the higher urgency of the two. Every pledge that claimed the duplicate now
    claims the kept need, which becomes claimed if it was open.

    The duplicate is not deleted but set aside (已搁置) with a closing line naming the
    need it was merged into: the needs list is a record of what villagers raised, and a
    deleted row would leave a pledge's submitted letter citing a need that no longer
    exists. It holds no pledge links afterwards, so it can never count twice.
    """
    if keep.pk == duplicate.pk:
        raise ValidationError(_("请选择两条不同的需求。"))
    if keep.branch_id != duplicate.branch_id:
        raise ValidationError(_("只能合并同一党支部的需求。"))
    _check_manager(actor, keep.branch)
    with transaction.atomic():
        rows = {
            need.pk: need
            for need in Need.objects.select_for_update()
            .select_related("branch")
            .filter(pk__in=[keep.pk, duplicate.pk])
            .order_by("pk")
        }
        kept, dup = rows[keep.pk], rows[duplicate.pk]
        if kept.status not in LIVE_NEED_STATUSES or dup.status not in LIVE_NEED_STATUSES:
            raise ValidationError(_("已解决或已搁置的需求不能合并。"))

        entry = _source_entry(dup)
        combined = "；".join(part for part in (kept.raised_by, entry) if part)
        carried = _also_from_lines(dup.description)
        if len(combined) <= Need._meta.get_field("raised_by").max_length:
            kept.raised_by = combined
        else:
            carried.insert(0, ALSO_FROM_PREFIX + entry)
        if carried:
            kept.description = "\n".join([kept.description.rstrip(), *carried])
        kept.urgency = min(kept.urgency, dup.urgency, key=URGENCY_ORDER.index)

        links = Pledge.needs.through.objects
        already = set(links.filter(need=kept).values_list("pledge_id", flat=True))
        moved = [
            links.model(pledge_id=pledge_id, need_id=kept.pk)
            for pledge_id in links.filter(need=dup).values_list("pledge_id", flat=True)
            if pledge_id not in already
        ]
        links.bulk_create(moved)
        links.filter(need=dup).delete()
        if kept.status == NeedStatus.OPEN and active_claims().filter(need=kept).exists():
            kept.status = NeedStatus.CLAIMED
        kept.save(update_fields=["raised_by", "description", "urgency", "status", "updated_at"])

        dup.status = NeedStatus.DROPPED
        dup.description = "\n".join(
            [
                dup.description.rstrip(),
                _("（已合并到需求：%(need)s）") % {"need": kept.description.splitlines()[0][:40]},
            ]
        )
        dup.save(update_fields=["status", "description", "updated_at"])
    keep.refresh_from_db()
    duplicate.refresh_from_db()
    return kept
