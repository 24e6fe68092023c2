from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.enums import (
    BranchKind,
    CommitteeKind,
    ExemptionReason,
    Gender,
    ImportKind,
    ImportStatus,
    OrganisationAction,
    PersonalDataAction,
    StaffRole,
)
from branches.stamps import stamps_moved
from branches.tokens import TOKEN_LENGTH, new_public_token

# Width of one segment of Committee.path: the committee's id in zero-padded hex.
PATH_SEGMENT_WIDTH = 8


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT_WIDTH}x}/"


class AppendOnlyRefused(Exception):
    """A change or deletion of a record that may only be appended."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise self.model.append_only_refusal("此记录只能追加，不能修改。")

    def delete(self):
        raise self.model.append_only_refusal("此记录只能追加，不能删除。")


class AppendOnlyModel(models.Model):
    """A record of what happened: written once, never changed or deleted."""

    # The exception raised on a change; an app may name its own subclass.
    append_only_refusal = AppendOnlyRefused

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_refusal("此记录只能追加，不能修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_refusal("此记录只能追加，不能删除。")


class Committee(models.Model):
    """A party organisation above branches: the district working committee and the
    committees under it, to any depth.

    `path` is a materialised path ("0000000a/0000000f/"), so a whole subtree is one
    indexed prefix query (`path__startswith`) on every database.
    """

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=CommitteeKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    # A closed committee keeps its history but takes no new branches or committees.
    closed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("党委")
        verbose_name_plural = _("党委")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        with transaction.atomic():
            if self.pk is None:
                # The path needs the id; a unique placeholder holds the row until then.
                self.path = f"new-{new_public_token()}"
                super().save(*args, **kwargs)
                self.path = self._expected_path()
                super().save(update_fields=["path"])
                self._workspace_changed(self._parent_path(self.path))
                return
            old_path = self.path
            new_path = self._expected_path()
            if self.parent_id and self.parent.path.startswith(old_path):
                raise ValidationError(_("上级党组织不能是本组织或其下级组织。"))
            self.path = new_path
            super().save(*args, **kwargs)
            if new_path != old_path:
                # Re-root the whole subtree in one statement.
                Committee.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
                )
            self._workspace_changed(self._parent_path(old_path), self._parent_path(new_path))

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            parent_path = self._parent_path(self.path)
            deleted = super().delete(*args, **kwargs)
            self._workspace_changed(parent_path)
            return deleted

    @staticmethod
    def _parent_path(path: str) -> str:
        """The path of the committee above the one at `path` (the path itself for a root:
        its own subtree)."""
        return path[: -(PATH_SEGMENT_WIDTH + 1)] or path

    @staticmethod
    def _workspace_changed(*paths: str) -> None:
        # The workspace of the staff above a committee shows it (its name, a row of the
        # dashboard, the chart's title) and its branches: renew theirs.
        branches = Q(pk__in=[])
        for path in set(paths):
            branches |= Q(committee__path__startswith=path)
        Branch.objects.filter(branches).mark_workspace_changed()

    def clean(self):
        if self.parent_id and self.pk and self.parent.path.startswith(self.path):
            raise ValidationError({"parent": _("上级党组织不能是本组织或其下级组织。")})

    def _expected_path(self) -> str:
        parent_path = self.parent.path if self.parent_id else ""
        return parent_path + path_segment(self.pk)

    @property
    def depth(self) -> int:
        return len(self.path) // (PATH_SEGMENT_WIDTH + 1)

    def is_ancestor_or_self_of(self, other: "Committee") -> bool:
        return other.path.startswith(self.path)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class BranchQuerySet(models.QuerySet):
    def mark_public_changed(self) -> int:
        """Move these branches' public change stamp, so their public pages renew at once
        (the stamps' cached copies too: branches.stamps)."""
        branches = dict(self.values_list("pk", "committee__path"))
        if not branches:
            return 0
        now = timezone.now()
        # What the public pages show, the workspace shows too.
        updated = Branch.objects.filter(pk__in=branches).update(
            public_changed_at=now, workspace_changed_at=now
        )
        stamps_moved(branches=branches, at=now)
        return updated

    def mark_workspace_changed(self) -> int:
        """Move these branches' workspace stamp: the /work/ home's to-do and chart of each,
        and of the staff over it, are drawn again on their next request."""
        return self.update(workspace_changed_at=timezone.now())


class Branch(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=32, choices=BranchKind.choices)
    village = models.CharField(
        _("所在村（社区）"), max_length=100, blank=True, help_text=_("农村党支部所在的村。")
    )
    committee = models.ForeignKey(
        Committee, verbose_name=_("上级党委"), on_delete=models.PROTECT, related_name="branches"
    )
    # The secretary as the organisation's roster names them, account or not.
    secretary_name = models.CharField(_("支部书记"), max_length=50, blank=True)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("支部书记账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="secretary_of",
    )
    public_token = models.CharField(
        _("公示码"), max_length=TOKEN_LENGTH, unique=True, default=new_public_token, editable=False
    )
    # When anything shown on the branch's public pages last changed: the pages' cache key,
    # ETag and Last-Modified. Bumped by pledges.signals.
    public_changed_at = models.DateTimeField(
        _("公示内容更新时间"), default=timezone.now, editable=False, db_index=True
    )
    # When anything the workspace's home shows of the branch last changed (its to-do and
    # its chart: pledges, needs, time nodes, members, monthly reports, its name): the key of
    # the home's drawn sections (reviews.home_sections), moved in the writing transaction.
    # Moved with public_changed_at, and by pledges.signals and the services for the rest.
    workspace_changed_at = models.DateTimeField(
        _("工作台内容更新时间"), default=timezone.now, editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("党支部")
        verbose_name_plural = _("党支部")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="branch_unique_name"),
            models.CheckConstraint(
                condition=Exact(Length("public_token"), TOKEN_LENGTH), name="branch_token_length"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Any write of the branch may change what its workspace shows (its name, secretary).
        self.workspace_changed_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "workspace_changed_at"}
        super().save(*args, **kwargs)
        if update_fields is None or "public_changed_at" in update_fields:
            stamps_moved(branches={self.pk: self.committee.path}, at=self.public_changed_at)


class Member(models.Model):
    branch = models.ForeignKey(
        Branch, verbose_name=_("所在党支部"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("出生年份"), null=True, blank=True)
    joined_on = models.DateField(_("入党日期"), null=True, blank=True)
    # Private: never shown on public pages.
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_exempt = models.BooleanField(
        _("免于承诺"), default=False, help_text=_("如年老体弱、患病等无承诺能力的党员。")
    )
    exemption_reason = models.CharField(
        _("免于承诺原因"), max_length=16, choices=ExemptionReason.choices, blank=True
    )
    exemption_note = models.CharField(_("免于承诺说明"), max_length=200, blank=True)
    is_active = models.BooleanField(
        _("在册"), default=True, help_text=_("转出、去世等不再在册的党员取消勾选，历史记录保留。")
    )
    # Consent under the personal-information law: off, the member's code shows only the
    # branch's board.
    public_page_enabled = models.BooleanField(
        _("公开个人承诺页"),
        default=True,
        help_text=_("党员撤回同意后取消勾选：扫码只显示支部公示栏。"),
    )
    public_token = models.CharField(
        _("二维码公示码"),
        max_length=TOKEN_LENGTH,
        unique=True,
        default=new_public_token,
        editable=False,
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch", "name", "pk"]
        indexes = [
            models.Index(fields=["branch", "is_active"], name="member_branch_active"),
            # The roll of each branch (on it, exempt) counted from the index alone, for the
            # staff pages' member figures (EXPLAIN at scale 100: 112 → 42 ms for 5,300).
            models.Index(
                fields=["branch", "is_exempt"], name="member_roll", condition=Q(is_active=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("public_token"), TOKEN_LENGTH), name="member_token_length"
            ),
            models.CheckConstraint(
                condition=(Q(is_exempt=True) & ~Q(exemption_reason=""))
                | (Q(is_exempt=False) & Q(exemption_reason="")),
                name="member_exemption_has_reason",
                violation_error_message=_("免于承诺的党员须写明原因；未免于承诺的党员不填原因。"),
            ),
        ]

    def __str__(self):
        return self.name


class Pairing(models.Model):
    """结对共建: an office branch paired with a village branch for one year."""

    office_branch = models.ForeignKey(
        Branch,
        verbose_name=_("机关（单位）党支部"),
        on_delete=models.PROTECT,
        related_name="pairings_as_office",
    )
    village_branch = models.ForeignKey(
        Branch,
        verbose_name=_("结对村党支部"),
        on_delete=models.PROTECT,
        related_name="pairings_as_village",
    )
    year = models.PositiveSmallIntegerField(_("年度"))

    class Meta:
        verbose_name = _("结对共建")
        verbose_name_plural = _("结对共建")
        ordering = ["-year", "office_branch"]
        constraints = [
            models.UniqueConstraint(
                fields=["office_branch", "village_branch", "year"], name="pairing_unique"
            ),
            models.CheckConstraint(
                condition=~Q(office_branch=models.F("village_branch")),
                name="pairing_two_branches",
                violation_error_message=_("结对双方不能是同一个党支部。"),
            ),
        ]

    def __str__(self):
        return f"{self.office_branch} ↔ {self.village_branch}（{self.year}）"

    def clean(self):
        if self.village_branch_id and self.village_branch.kind != BranchKind.VILLAGE:
            raise ValidationError({"village_branch": _("结对对象须是农村党支部。")})


class CommitteeStaff(models.Model):
    """A staff role: the user sees and reviews the committee's whole subtree.

    District staff are staff of the root committee. Branch secretaries are recorded on
    `Branch.secretary`; both roles are data, read by the predicates in permissions.py.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="committee_roles",
    )
    committee = models.ForeignKey(
        Committee, verbose_name=_("党委"), on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField(
        _("职责"), max_length=16, choices=StaffRole.choices, default=StaffRole.REVIEW
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("党委工作人员")
        verbose_name_plural = _("党委工作人员")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "committee", "role"], name="committee_staff_unique_role"
            )
        ]

    def __str__(self):
        return f"{self.user} @ {self.committee}（{self.get_role_display()}）"


class MemberPairing(models.Model):
    """双结对: a member of an office branch paired with a village for one year."""

    member = models.ForeignKey(
        "Member", verbose_name=_("党员"), on_delete=models.PROTECT, related_name="pairings"
    )
    village_branch = models.ForeignKey(
        Branch,
        verbose_name=_("结对村党支部"),
        on_delete=models.PROTECT,
        related_name="member_pairings",
    )
    year = models.PositiveSmallIntegerField(_("年度"))

    class Meta:
        verbose_name = _("党员结对")
        verbose_name_plural = _("党员结对")
        ordering = ["-year", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "village_branch", "year"], name="member_pairing_unique"
            ),
        ]

    def __str__(self):
        return f"{self.member} ↔ {self.village_branch}（{self.year}）"

    def clean(self):
        if self.village_branch_id and self.village_branch.kind != BranchKind.VILLAGE:
            raise ValidationError({"village_branch": _("结对对象须是农村党支部。")})


class OneTimePassword(models.Model):
    """Marks an account whose password was set by organisation staff and handed over: the
    person must choose their own at the next sign-in. The row goes when they do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="one_time_password",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("发放时间"), default=timezone.now)

    class Meta:
        verbose_name = _("一次性密码")
        verbose_name_plural = _("一次性密码")

    def __str__(self):
        return str(self.user)


class OrganisationChange(AppendOnlyModel):
    """One entry of the organisation's audit list: who changed what, and when.

    `committee` places the entry in the tree (the committee changed, or the one holding the
    branch or account), so organisation staff read the entries of their own subtree.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisation_changes",
        help_text=_("空：在服务器上用命令完成。"),
    )
    action = models.CharField(_("操作"), max_length=32, choices=OrganisationAction.choices)
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("所属党组织"),
        on_delete=models.PROTECT,
        related_name="organisation_changes",
    )
    subject = models.CharField(_("对象"), max_length=200)
    # {field label: [old, new]} for changes; free facts (counts of an import) otherwise.
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("组织变更记录")
        verbose_name_plural = _("组织变更记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()}：{self.subject}"


class RetiredToken(models.Model):
    """A printed code that no longer names anyone (member left, code reissued): kept so
    that scanning it years later still finds a friendly page and the branch's board."""

    token = models.CharField(_("公示码"), max_length=TOKEN_LENGTH, unique=True)
    member = models.ForeignKey(
        Member,
        verbose_name=_("党员"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="retired_tokens",
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("党支部"), on_delete=models.CASCADE, related_name="retired_tokens"
    )
    retired_at = models.DateTimeField(_("停用时间"), default=timezone.now)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("已停用的公示码")
        verbose_name_plural = _("已停用的公示码")
        ordering = ["-retired_at"]

    def __str__(self):
        return self.token


class ImportBatch(models.Model):
    """An uploaded spreadsheet between its preview and its confirmation.

    The file itself is kept, so the preview can be shown again, confirmed or abandoned
    later, and what is written on confirmation is planned afresh from the same bytes.
    """

    kind = models.CharField(_("导入内容"), max_length=16, choices=ImportKind.choices)
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("导入范围"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    filename = models.CharField(_("文件名"), max_length=255)
    content = models.BinaryField(_("文件内容"))
    # A full roster: active members of the file's branches missing from it are offered
    # for taking off the roll.
    full_roster = models.BooleanField(_("完整名册"), default=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_batches",
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Counts written on confirmation: {"new": 3, "changed": 1, ...}.
    summary = models.JSONField(_("导入结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.filename}"


class PersonalDataAccess(AppendOnlyModel):
    """One entry of the personal-data access log (个人信息保护法): who was shown members'
    phone numbers on a page or handed them in a roster file, and when.

    `committee` places the entry in the tree (the branch's committee, or the top of the
    subtree a whole roster covered), so organisation staff read the entries of their own
    subtree; `branch` names the branch when there is one.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("查阅人"),
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
    )
    action = models.CharField(_("查阅方式"), max_length=32, choices=PersonalDataAction.choices)
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("所属党组织"),
        on_delete=models.PROTECT,
        related_name="personal_data_accesses",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("党支部"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="personal_data_accesses",
    )
    subject = models.CharField(_("查阅内容"), max_length=200)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("个人信息查阅记录")
        verbose_name_plural = _("个人信息查阅记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()}：{self.subject}"


class SubmissionKey(models.Model):
    """A form submission that was carried out, kept so that the same submission arriving
    again (a browser's resubmission after a lost answer, a double click) is answered as the
    first was and carried out no second time (branches.idempotency).

    `digest` names the submission: the SHA-256 of the form's one-time key, who sent it, to
    which address and what the form held. The key itself is not kept, so the digest gives
    away nothing of what the form held. The row is written in the transaction of the view's
    own writes, so it is committed whenever they are. Rows older than
    idempotency.KEEP_DAYS are purged.
    """

    digest = models.CharField(_("提交摘要"), max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    path = models.CharField(_("提交地址"), max_length=255, editable=False)
    # Where the answer sent the person; a replay is sent there again.
    response_location = models.TextField(_("结果页面"), blank=True, editable=False)
    created_at = models.DateTimeField(
        _("提交时间"), default=timezone.now, db_index=True, editable=False
    )

    class Meta:
        verbose_name = _("表单提交记录")
        verbose_name_plural = _("表单提交记录")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.path}（{self.created_at:%Y-%m-%d %H:%M}）"
