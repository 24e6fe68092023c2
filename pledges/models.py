from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.models import AppendOnlyModel as BaseAppendOnlyModel
from branches.models import Branch, Committee, Member
from pledges.enums import (
    ActorRole,
    CommentStatus,
    FeedbackChannel,
    FeedbackRating,
    NeedCategory,
    NeedSource,
    NeedStatus,
    PledgeMove,
    PledgeStatus,
    Rhythm,
    TimeNodeOutcome,
    Urgency,
)
from pledges.workflow import OPEN_STATUSES, STATUS_STEP, StatusChangeRefused


class Need(models.Model):
    """One line of a village's needs list (需求清单), gathered in 研诺."""

    branch = models.ForeignKey(
        Branch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="needs"
    )
    village = models.CharField(_("村（社区）"), max_length=100, blank=True)
    description = models.TextField(_("需求内容"))
    category = models.CharField(_("类别"), max_length=32, choices=NeedCategory.choices)
    source = models.CharField(_("来源"), max_length=32, choices=NeedSource.choices)
    raised_by = models.CharField(
        _("提出人"), max_length=100, blank=True, help_text=_("如“四组村民张喜民”。")
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.MEDIUM
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("群众需求")
        verbose_name_plural = _("需求清单")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["branch", "status"], name="need_branch_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NeedStatus.values), name="need_status_valid"
            ),
        ]

    def __str__(self):
        return self.description[:30]

    def save(self, *args, **kwargs):
        if not self.village and self.branch_id:
            self.village = self.branch.village
        super().save(*args, **kwargs)


class PledgeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if "status" in kwargs:
            raise StatusChangeRefused("承诺状态只能通过流程操作改变。")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if "status" in fields:
            raise StatusChangeRefused("承诺状态只能通过流程操作改变。")
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def _move_status(self, *, source: str, target: str) -> int:
        """Conditional update used by pledge_transition alone: the row count says
        whether this caller won the race for the move."""
        return models.QuerySet.update(
            self.filter(status=source), status=target, updated_at=timezone.now()
        )

    def public(self):
        from pledges.workflow import PUBLIC_STATUSES

        return self.filter(status__in=PUBLIC_STATUSES)

    def for_branch(self, branch):
        return self.filter(owner_branch=branch)


class Pledge(models.Model):
    """A public pledge (承诺) by a branch or by one member.

    The status changes only through the moves below, which delegate to
    `pledges.services.pledge_transition`; saving a changed status raises.
    """

    branch = models.ForeignKey(
        Branch,
        verbose_name=_("承诺党支部"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branch_pledges",
        help_text=_("支部承诺填写此项；党员承诺留空。"),
    )
    member = models.ForeignKey(
        Member,
        verbose_name=_("承诺党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
        help_text=_("党员承诺填写此项；支部承诺留空。"),
    )
    # The branch that runs the pledge: the pledging branch, or the member's branch.
    # Kept on the row so that scoping and counting by branch or committee is one join.
    owner_branch = models.ForeignKey(
        Branch,
        verbose_name=_("所属党支部"),
        on_delete=models.PROTECT,
        related_name="pledges",
        editable=False,
    )
    needs = models.ManyToManyField(
        Need, verbose_name=_("认领的需求"), blank=True, related_name="pledges"
    )
    title = models.CharField(_("承诺事项"), max_length=200)
    content = models.TextField(_("具体内容"), blank=True)
    beneficiaries = models.CharField(_("服务对象"), max_length=200, blank=True)
    category = models.CharField(_("类别"), max_length=32, choices=NeedCategory.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    due_date = models.DateField(_("完成时限"))
    is_recurring = models.BooleanField(_("经常性承诺"), default=False)
    rhythm = models.CharField(_("频次"), max_length=16, choices=Rhythm.choices, blank=True)
    # Written when the secretary confirms a pledge for a member exempt from pledging
    # (免于承诺); shown to the reviewing staff, never on the public pages.
    exempt_override_reason = models.CharField(
        _("为免于承诺党员写承诺的原因"), max_length=200, blank=True
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=PledgeStatus.choices,
        default=PledgeStatus.DRAFT,
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("承诺")
        verbose_name_plural = _("承诺")
        ordering = ["-year", "owner_branch", "pk"]
        indexes = [
            models.Index(fields=["owner_branch", "status"], name="pledge_branch_status"),
            models.Index(fields=["status", "due_date"], name="pledge_status_due"),
            models.Index(fields=["year", "status"], name="pledge_year_status"),
            # The staff pledge lists, a year's pledges by due date a page at a time: read in
            # this order and stopped after the page (EXPLAIN at scale 100: 306 → 30 ms).
            models.Index(fields=["year", "due_date", "id"], name="pledge_year_due"),
            # Overdue is counted live (it changes with the day): these hold only the open
            # pledges, so a branch's overdue count, or a scope's, reads the few past due
            # instead of every pledge (EXPLAIN at scale 100: the branch table's overdue
            # column, 430 ms by the index on owner_branch alone).
            models.Index(
                fields=["owner_branch", "year", "due_date"],
                name="pledge_open_branch_due",
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
            models.Index(
                fields=["year", "due_date"],
                name="pledge_open_year_due",
                include=["owner_branch", "category", "status"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(branch__isnull=False) & Q(member__isnull=True))
                | (Q(branch__isnull=True) & Q(member__isnull=False)),
                name="pledge_exactly_one_owner",
                violation_error_message=_("承诺须由一个党支部或一名党员作出，二者选其一。"),
            ),
            models.CheckConstraint(
                condition=Q(status__in=PledgeStatus.values), name="pledge_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(is_recurring=True) & ~Q(rhythm=""))
                | (Q(is_recurring=False) & Q(rhythm="")),
                name="pledge_recurring_has_rhythm",
                violation_error_message=_("经常性承诺须选择频次；一次性承诺不选频次。"),
            ),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read from __dict__ so that a deferred status does not cost a query.
        self._status_as_loaded = self.__dict__.get("status")
        self._member_as_loaded = self.__dict__.get("member_id")
        self._counted_as_loaded = self.counted_fields()

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        status = self.__dict__.get("status")
        if self._state.adding and status not in (None, PledgeStatus.DRAFT):
            raise StatusChangeRefused("新承诺只能以草稿状态创建。")
        if not self._state.adding:
            if status != self._status_as_loaded or "status" in (kwargs.get("update_fields") or ()):
                raise StatusChangeRefused("承诺状态只能通过流程操作改变。")
            if kwargs.get("update_fields") is None:
                # Never write status back: a stale copy must not undo a move made meanwhile.
                kwargs["update_fields"] = [
                    field.name
                    for field in self._meta.concrete_fields
                    if not field.primary_key and field.name != "status"
                ]
        if self.branch_id:
            self.owner_branch_id = self.branch_id
        elif self.member_id and (
            self.owner_branch_id is None or self.member_id != self._member_as_loaded
        ):
            # Fixed when the pledge is made: a member who later moves branch leaves
            # the pledge with the branch that approved and watched it.
            self.owner_branch_id = self.member.branch_id
        super().save(*args, **kwargs)
        self._member_as_loaded = self.member_id
        self._counted_as_loaded = self.counted_fields()

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._status_as_loaded = self.__dict__.get("status")
        self._member_as_loaded = self.__dict__.get("member_id")
        self._counted_as_loaded = self.counted_fields()

    def counted_fields(self) -> tuple:
        """What the stored figures count a pledge by, but its status (which moves apart):
        a save that changes none of these leaves them as they were."""
        return tuple(
            self.__dict__.get(name)
            for name in ("owner_branch_id", "year", "member_id", "category", "due_date")
        )

    @property
    def step(self):
        return STATUS_STEP[PledgeStatus(self.status)]

    @property
    def pledger(self):
        return self.member if self.member_id else self.branch

    def letter_snapshot(self) -> dict:
        """The wording of the pledge letter as plain data (queries needs and time nodes)."""
        return {
            "pledger": str(self.pledger),
            "title": self.title,
            "content": self.content,
            "beneficiaries": self.beneficiaries,
            "category": self.get_category_display(),
            "due_date": self.due_date.isoformat() if self.due_date else "",
            "rhythm": self.get_rhythm_display() if self.is_recurring else "",
            "needs": [need.description for need in self.needs.order_by("pk")],
            "time_nodes": [
                f"{node.due_on:%Y-%m-%d} {node.description}"
                for node in self.time_nodes.order_by("due_on", "pk")
            ],
        }

    # The moves. Each only delegates to the one door, pledges.services.pledge_transition.
    def _move(self, user, move: PledgeMove, reason: str = ""):
        from pledges.services import pledge_transition

        return pledge_transition(pledge=self, actor=user, move=move, reason=reason)

    def submit(self, user):
        return self._move(user, PledgeMove.SUBMIT)

    def return_for_revision(self, user, *, reason: str):
        return self._move(user, PledgeMove.RETURN_FOR_REVISION, reason)

    def approve(self, user):
        return self._move(user, PledgeMove.APPROVE)

    def publish(self, user):
        return self._move(user, PledgeMove.PUBLISH)

    def start(self, user):
        return self._move(user, PledgeMove.START)

    def complete(self, user):
        return self._move(user, PledgeMove.COMPLETE)

    def verify(self, user):
        return self._move(user, PledgeMove.VERIFY)

    def evaluate(self, user):
        return self._move(user, PledgeMove.EVALUATE)

    def withdraw(self, user, *, reason: str):
        return self._move(user, PledgeMove.WITHDRAW, reason)


class TimeNodeQuerySet(models.QuerySet):
    def open(self):
        """Nodes neither done nor declared no longer needed."""
        return self.filter(closed_as="")

    def closed(self):
        return self.exclude(closed_as="")


class TimeNode(models.Model):
    """A dated milestone of a pledge (时间节点), open until it is closed: done on a date,
    or no longer needed for a stated reason (pledges.services.time_node_close)."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("承诺"), on_delete=models.CASCADE, related_name="time_nodes"
    )
    due_on = models.DateField(_("节点日期"))
    description = models.CharField(_("节点任务"), max_length=200)
    closed_as = models.CharField(
        _("节点结果"), max_length=16, choices=TimeNodeOutcome.choices, blank=True, default=""
    )
    # Set when the node was done: the day the work was done, not the day it was recorded.
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    close_reason = models.CharField(_("不再需要的原因"), max_length=200, blank=True)
    # Null for nodes closed before closings were recorded (and in the demo data).
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    objects = TimeNodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("时间节点")
        verbose_name_plural = _("时间节点")
        ordering = ["pledge", "due_on", "pk"]
        indexes = [models.Index(fields=["due_on", "done_on"], name="timenode_due")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(closed_as="") & Q(done_on__isnull=True) & Q(close_reason=""))
                | (
                    Q(closed_as=TimeNodeOutcome.DONE)
                    & Q(done_on__isnull=False)
                    & Q(close_reason="")
                )
                | (
                    Q(closed_as=TimeNodeOutcome.NOT_NEEDED)
                    & Q(done_on__isnull=True)
                    & ~Q(close_reason="")
                ),
                name="timenode_closing_consistent",
                violation_error_message=_(
                    "时间节点要么未关闭，要么有完成日期，要么有不再需要的原因。"
                ),
            ),
        ]

    def __str__(self):
        return f"{self.due_on:%Y-%m-%d} {self.description}"

    @property
    def is_open(self) -> bool:
        return not self.closed_as

    @property
    def is_done(self) -> bool:
        return self.closed_as == TimeNodeOutcome.DONE

    @property
    def is_not_needed(self) -> bool:
        return self.closed_as == TimeNodeOutcome.NOT_NEEDED


class ProgressRecord(models.Model):
    """A dated account of work done on a pledge (践诺记实)."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("承诺"), on_delete=models.CASCADE, related_name="progress_records"
    )
    happened_on = models.DateField(_("日期"))
    description = models.TextField(_("推进情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        related_name="progress_records",
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("践诺记实")
        verbose_name_plural = _("践诺记实")
        ordering = ["-happened_on", "-pk"]
        indexes = [models.Index(fields=["pledge", "happened_on"], name="progress_pledge_date")]

    def __str__(self):
        return f"{self.happened_on:%Y-%m-%d} {self.description[:30]}"


class ProgressPhoto(models.Model):
    record = models.ForeignKey(
        ProgressRecord,
        verbose_name=_("践诺记实"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    image = models.ImageField(_("照片"), upload_to="progress/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="progress/thumbs/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("践诺照片")
        verbose_name_plural = _("践诺照片")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


class AppendOnlyModel(BaseAppendOnlyModel):
    """Pledge records refuse a change with the workflow's own exception."""

    append_only_refusal = StatusChangeRefused

    class Meta:
        abstract = True


class PledgeTransition(AppendOnlyModel):
    """The audit row of one move: append-only, written in the move's transaction."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("承诺"), on_delete=models.PROTECT, related_name="transitions"
    )
    move = models.CharField(_("操作"), max_length=32, choices=PledgeMove.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=PledgeStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=PledgeStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="pledge_transitions",
    )
    actor_role = models.CharField(_("身份"), max_length=32, choices=ActorRole.choices)
    note = models.TextField(_("说明"), blank=True)
    # On submit: the letter as it was sent for review, so a resubmission shows what changed.
    snapshot = models.JSONField(_("提交时的承诺内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("流程记录")
        verbose_name_plural = _("流程记录")
        ordering = ["pledge", "created_at", "pk"]
        indexes = [
            models.Index(fields=["pledge", "created_at"], name="transition_pledge_time"),
            # One move over a time range (the dashboard's completions by quarter) without
            # reading every transition.
            models.Index(fields=["move", "created_at"], name="transition_move_time"),
        ]

    def __str__(self):
        return (
            f"{self.get_move_display()}："
            f"{self.get_from_status_display()} → {self.get_to_status_display()}"
        )


class TimeNodeClosing(AppendOnlyModel):
    """The audit row of a time node closed: what, on which date or why, and by whom;
    written in the closing's transaction."""

    node = models.ForeignKey(
        TimeNode, verbose_name=_("时间节点"), on_delete=models.PROTECT, related_name="closings"
    )
    outcome = models.CharField(_("节点结果"), max_length=16, choices=TimeNodeOutcome.choices)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    reason = models.CharField(_("不再需要的原因"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="time_node_closings",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("时间节点关闭记录")
        verbose_name_plural = _("时间节点关闭记录")
        ordering = ["node", "created_at", "pk"]

    def __str__(self):
        return f"{self.node_id} {self.get_outcome_display()}"


class PledgeAmendment(AppendOnlyModel):
    """A change to a public pledge's wording or due date: the old and the new, dated and
    with the reason, shown on its public page, so a pledge is never quietly rewritten."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("承诺"), on_delete=models.PROTECT, related_name="amendments"
    )
    field = models.CharField(_("修改项"), max_length=32)
    old_value = models.TextField(_("原内容"), blank=True)
    new_value = models.TextField(_("新内容"), blank=True)
    reason = models.CharField(_("修改原因"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="pledge_amendments",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("公示后修改记录")
        verbose_name_plural = _("公示后修改记录")
        ordering = ["pledge", "created_at", "pk"]

    def __str__(self):
        return f"{self.pledge_id} {self.field}"


class Feedback(models.Model):
    """服务对象评议: what a villager thinks of a public pledge, online with no account or
    recorded by the secretary at a home visit or meeting (counted apart)."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("承诺"), on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.CharField(_("评价"), max_length=20, choices=FeedbackRating.choices)
    comment = models.CharField(_("留言"), max_length=200, blank=True)
    comment_status = models.CharField(
        _("留言状态"),
        max_length=12,
        choices=CommentStatus.choices,
        default=CommentStatus.NONE,
    )
    channel = models.CharField(
        _("来源"), max_length=12, choices=FeedbackChannel.choices, default=FeedbackChannel.ONLINE
    )
    # For recorded feedback: who recorded it and where it was gathered (入户走访, 群众会…).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="recorded_feedback",
    )
    gathered_at = models.CharField(_("收集场合"), max_length=50, blank=True)
    # Online feedback: a keyed hash of the client address (never the address itself) and
    # the local day, for the one-per-day limit.
    address_hash = models.CharField(_("来源标识"), max_length=64, blank=True, editable=False)
    day = models.DateField(_("日期"), default=timezone.localdate)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务对象评议")
        verbose_name_plural = _("服务对象评议")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["pledge", "channel"], name="feedback_pledge_channel")]
        constraints = [
            models.UniqueConstraint(
                fields=["pledge", "address_hash", "day"],
                condition=Q(channel=FeedbackChannel.ONLINE),
                name="feedback_one_per_address_and_day",
                violation_error_message=_("今天已经评议过这项承诺了，明天再来吧。"),
            ),
            models.CheckConstraint(
                condition=Q(rating__in=FeedbackRating.values), name="feedback_rating_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel=FeedbackChannel.ONLINE) | Q(recorded_by__isnull=False),
                name="feedback_recorded_has_recorder",
            ),
            models.CheckConstraint(
                condition=(Q(comment="") & Q(comment_status=CommentStatus.NONE))
                | (~Q(comment="") & ~Q(comment_status=CommentStatus.NONE)),
                name="feedback_comment_status",
            ),
        ]

    def __str__(self):
        return f"{self.pledge_id} {self.get_rating_display()}"


class MembersLetter(models.Model):
    """致全区党员的一封信: the letter a district (a root committee) sends all its members
    for a year. Its staff write it once; it is printed one per member, with the member's
    name and QR code (pledges.views.manuals.members_letter)."""

    committee = models.ForeignKey(
        Committee,
        verbose_name=_("发信党组织"),
        on_delete=models.PROTECT,
        related_name="members_letters",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("标题"), max_length=50, default=_("致全区党员的一封信"))
    body = models.TextField(_("正文"), help_text=_("一行一段，打印时每段首行缩进两字。"))
    signature = models.CharField(
        _("落款"), max_length=100, help_text=_("发信的党组织，如“中共××示范区党工委”。")
    )
    dated = models.DateField(_("落款日期"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("最后修改人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("最后修改时间"), default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("致全体党员的一封信")
        verbose_name_plural = _("致全体党员的一封信")
        ordering = ["committee", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "year"],
                name="members_letter_one_per_year",
                violation_error_message=_("这一年的信已经写过了，请修改原来的信。"),
            ),
            models.CheckConstraint(
                condition=~Q(title="") & ~Q(body="") & ~Q(signature=""),
                name="members_letter_has_text",
                violation_error_message=_("标题、正文和落款都不能为空。"),
            ),
        ]

    def __str__(self):
        return f"{self.year}年 {self.title}"

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs: its non-empty lines, trimmed."""
        return [line.strip() for line in self.body.splitlines() if line.strip()]


# Registered with the app here; kept apart, as they hold counts, not records.
from pledges.stored_figures import BranchYearFigures, PledgeTally  # noqa: E402, F401
