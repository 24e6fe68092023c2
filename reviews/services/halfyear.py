"""Writes of the half-year check (半年党委销号制): crossing off completed pledges in
bulk, and the committee's notice (通报) naming slow branches."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.models import Committee
from branches.selectors import branches_in_subtree
from pledges.workflow import TransitionNotAllowed
from reviews.enums import NoticeStatus
from reviews.models import HalfYearNotice
from reviews.selectors.calendar import (
    BranchHalfYear,
    completed_pledges,
    halfyear_figures,
    halfyear_pledges,
    staff_branches,
)
from reviews.services.quarterly import can_sign_off

# A branch is slow when at least this share of its pledges due by the half year is
# overdue (as a fraction: 3/10 = 30%) ...
SLOW_OVERDUE_SHARE = (3, 10)
# ... or when at least this many of them have not started (approved or published).
SLOW_NOT_STARTED = 2


def is_slow_branch(*, total: int, overdue: int, not_started: int) -> bool:
    """The rule naming a branch in the half-year notice.

    A branch with pledges due by June 30 is slow when overdue / total ≥ 30% or when two
    or more of them have not started; a branch with none is never slow. Integer
    arithmetic, so that exactly 30% counts.
    """
    if total <= 0:
        return False
    numerator, denominator = SLOW_OVERDUE_SHARE
    return overdue * denominator >= total * numerator or not_started >= SLOW_NOT_STARTED


@dataclass
class VerifyResult:
    verified: int = 0
    # (pledge title, why it was refused)
    refusals: list[tuple[str, str]] = field(default_factory=list)


@transaction.atomic
def halfyear_verify(*, pledge_ids: Iterable[int], year: int, actor) -> VerifyResult:
    """Cross off (销号) each chosen pledge due by the half year, through the workflow.

    Only pledges of the actor's subtree due by June 30 are looked at; see
    `_verify_each` for the rest.
    """
    return _verify_each(
        pledges=halfyear_pledges(branches=staff_branches(user=actor), year=year),
        pledge_ids=pledge_ids,
        actor=actor,
        out_of_scope=_("不在本次销号范围内。"),
    )


@transaction.atomic
def pledges_verify(*, pledge_ids: Iterable[int], actor) -> VerifyResult:
    """Cross off (销号) completed pledges at any time of the year, in bulk.

    Only completed pledges of the actor's subtree are looked at; see `_verify_each`.
    """
    return _verify_each(
        pledges=completed_pledges(branches=staff_branches(user=actor)),
        pledge_ids=pledge_ids,
        actor=actor,
        out_of_scope=_("不在您的管理范围内，或已不是“已完成”状态。"),
    )


def _verify_each(*, pledges, pledge_ids: Iterable[int], actor, out_of_scope: str) -> VerifyResult:
    """Move each chosen pledge of `pledges` by `pledge.verify(actor)`, which checks the
    role and the status and writes the audit row.

    Each pledge is its own savepoint: a refused one (a colleague crossed it off a moment
    ago, say) is reported by title and the others go on, since crossing off one pledge
    says nothing about the next. A chosen id outside `pledges` is reported by number.
    """
    wanted = {int(pk) for pk in pledge_ids}
    chosen = list(pledges.filter(pk__in=wanted))
    result = VerifyResult()
    for missing in sorted(wanted - {pledge.pk for pledge in chosen}):
        result.refusals.append((_("编号 %(id)s") % {"id": missing}, out_of_scope))
    for pledge in chosen:
        try:
            with transaction.atomic():
                pledge.verify(actor)
        except (TransitionNotAllowed, PermissionDenied) as refusal:
            message = getattr(refusal, "message", None) or " ".join(map(str, refusal.args))
            result.refusals.append((pledge.title, str(message)))
        else:
            result.verified += 1
    return result


def notice_title(*, committee: Committee, year: int) -> str:
    return _("%(committee)s关于%(year)s年上半年“双承诺”践诺情况的通报") % {
        "committee": committee.name,
        "year": year,
    }


def notice_text(
    *,
    committee: Committee,
    year: int,
    figures: list[BranchHalfYear],
    today: datetime.date,
    branch_count: int | None = None,
) -> str:
    """The generated body: the figures of the subtree, then the slow branches by name.

    `branch_count` is every branch of the subtree, with pledges due by June 30 or not
    (`figures` holds only those with some); without it, the branches of `figures`.
    """
    total = sum(row.total for row in figures)
    done = sum(row.done for row in figures)
    overdue = sum(row.overdue for row in figures)
    share = round(done * 100 / total) if total else 0
    lines = [
        _(
            "截至%(date)s，%(committee)s所属 %(branches)s 个党支部共有 %(total)s 项承诺"
            "应于6月30日前完成，已完成 %(done)s 项（%(share)s%%），逾期未完成 %(overdue)s 项。"
        )
        % {
            "date": f"{today.year}年{today.month}月{today.day}日",
            "committee": committee.name,
            "branches": len(figures) if branch_count is None else branch_count,
            "total": total,
            "done": done,
            "share": share,
            "overdue": overdue,
        },
        "",
    ]
    slow = [
        row
        for row in figures
        if is_slow_branch(total=row.total, overdue=row.overdue, not_started=row.not_started)
    ]
    if slow:
        lines.append(_("以下党支部承诺推进较慢，予以通报，请限期整改："))
        for number, row in enumerate(slow, start=1):
            lines.append(
                _(
                    "%(number)s. %(branch)s：应完成 %(total)s 项，逾期 %(overdue)s 项"
                    "（%(share)s%%），尚未开始 %(not_started)s 项。"
                )
                % {
                    "number": number,
                    "branch": row.branch_name,
                    "total": row.total,
                    "overdue": row.overdue,
                    "share": round(row.overdue * 100 / row.total),
                    "not_started": row.not_started,
                }
            )
        lines.append("")
        lines.append(_("其余党支部按时间节点推进，望继续保持。"))
    else:
        lines.append(_("各党支部均按时间节点推进，望继续保持。"))
    return "\n".join(lines)


def _check_staff(actor, committee: Committee) -> None:
    if not can_sign_off(actor, committee):
        raise PermissionDenied(_("只有本党委或上级党委的工作人员可以处理通报。"))


def notice_draft_text(*, committee: Committee, year: int, today: datetime.date) -> str:
    """The body a draft written now would have (reads only: the notice page shows it
    before anyone drafts)."""
    return notice_text(
        committee=committee,
        year=year,
        figures=halfyear_figures(committee=committee, year=year, today=today),
        today=today,
        branch_count=notice_branch_count(committee=committee),
    )


def notice_branch_count(*, committee: Committee) -> int:
    """Every branch of the committee's subtree, under committees still open."""
    return (
        branches_in_subtree(committee=committee).filter(committee__closed_at__isnull=True).count()
    )


@transaction.atomic
def notice_generate(
    *, committee: Committee, year: int, actor, today: datetime.date | None = None
) -> HalfYearNotice:
    """The committee's notice of the year: the existing one, or a draft written from the
    data, its text kept as `generated_body`."""
    _check_staff(actor, committee)
    list(Committee.objects.select_for_update().filter(pk=committee.pk).values_list("pk"))
    existing = HalfYearNotice.objects.filter(committee=committee, year=year).first()
    if existing is not None:
        return existing
    today = today or timezone.localdate()
    body = notice_draft_text(committee=committee, year=year, today=today)
    return HalfYearNotice.objects.create(
        committee=committee,
        year=year,
        title=notice_title(committee=committee, year=year),
        body=body,
        generated_body=body,
        author=actor,
    )


def _locked_draft(notice: HalfYearNotice) -> HalfYearNotice:
    locked = HalfYearNotice.objects.select_for_update().get(pk=notice.pk)
    if locked.status != NoticeStatus.DRAFT:
        raise ValidationError(_("通报已发布，不能再修改。"))
    return locked


@transaction.atomic
def notice_edit(*, notice: HalfYearNotice, actor, title: str, body: str) -> HalfYearNotice:
    """Rewrite a draft notice's title and body."""
    _check_staff(actor, notice.committee)
    locked = _locked_draft(notice)
    locked.title = title.strip()
    locked.body = body.strip()
    locked.save(update_fields=["title", "body"])
    return locked


@transaction.atomic
def notice_publish(*, notice: HalfYearNotice, actor) -> HalfYearNotice:
    """Publish a draft: from now on it is read-only and shown on the public site."""
    _check_staff(actor, notice.committee)
    locked = _locked_draft(notice)
    locked.status = NoticeStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at"])
    return locked
