"""Accounts handed out by organisation staff: branch secretaries and committee staff.

A new or reset account gets a one-time password: random, shown once to the organiser who
hands it over, stored only hashed, and marked by a OneTimePassword row that makes the
person choose their own password at the next sign-in (branches.middleware).
"""

import re
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.enums import AccountKind, CommitteeKind, OrganisationAction, StaffRole
from branches.models import Branch, Committee, CommitteeStaff, OneTimePassword
from branches.names import person_name
from branches.permissions import forget_roles
from branches.selectors_organisation import accounts_managed_by
from branches.services.audit import organisation_change_record
from branches.services.organisers import require_organiser
from branches.signin import lockouts_of

# Lower-case letters and digits without the look-alikes (0/o, 1/l/i): easy to read aloud
# and to type on a phone. Ten characters give about 49 bits: plenty for a password that
# lives until the first sign-in.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_LENGTH = 10
# Shown in groups of this many characters (by the page's layout, never in the password).
ONE_TIME_GROUP = 5

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]+$")
USERNAME_MIN, USERNAME_MAX = 3, 30
FULL_NAME_MAX = 30

STAFF_ROLES = {
    AccountKind.REVIEW_STAFF: StaffRole.REVIEW,
    AccountKind.ORGANISATION_STAFF: StaffRole.ORGANISATION,
}
ACCOUNT_LABELS = {
    "kind": gettext_lazy("账号类型"),
    "name": gettext_lazy("姓名"),
    "scope": gettext_lazy("范围"),
    "title": gettext_lazy("职务"),
}


def one_time_password_new() -> str:
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _i in range(ONE_TIME_LENGTH))


def one_time_password_groups(password: str) -> list[str]:
    """The password cut into groups for reading aloud."""
    return [password[i : i + ONE_TIME_GROUP] for i in range(0, len(password), ONE_TIME_GROUP)]


def _subject(user) -> str:
    return f"{person_name(user)}（{user.get_username()}）"


def _issue(*, user, actor) -> str:
    password = one_time_password_new()
    user.set_password(password)
    user.save(update_fields=["password"])
    OneTimePassword.objects.update_or_create(
        user=user,
        defaults={
            "issued_by": actor if getattr(actor, "is_authenticated", False) else None,
            "issued_at": timezone.now(),
        },
    )
    return password


def _clean_username(username: str) -> str:
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("请填写登录名。")})
    if not USERNAME_PATTERN.match(username):
        raise ValidationError(
            {"username": _("登录名只能使用英文字母、数字和“_”“.”“-”，不能有汉字或空格。")}
        )
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        raise ValidationError(
            {
                "username": _("登录名须为 %(min)s 到 %(max)s 个字符。")
                % {"min": USERNAME_MIN, "max": USERNAME_MAX}
            }
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("登录名“%(name)s”已被使用，请换一个。") % {"name": username}}
        )
    return username


def _clean_full_name(full_name: str) -> str:
    full_name = re.sub(r"\s+", "", full_name or "")
    if not full_name:
        raise ValidationError({"full_name": _("请填写姓名。")})
    if len(full_name) > FULL_NAME_MAX:
        raise ValidationError(
            {"full_name": _("姓名不能超过 %(max)s 个字。") % {"max": FULL_NAME_MAX}}
        )
    return full_name


def account_scope(*, kind: str, branch: Branch | None, committee: Committee | None) -> Committee:
    """The committee an account of this kind is placed under."""
    if kind == AccountKind.SECRETARY:
        if branch is None:
            raise ValidationError({"branch": _("请选择党支部。")})
        return branch.committee
    if kind in STAFF_ROLES:
        if committee is None:
            raise ValidationError({"committee": _("请选择党委。")})
        return committee
    raise ValidationError({"kind": _("请选择账号类型。")})


def require_account_manager(actor, account) -> None:
    """PermissionDenied unless the actor may manage the account (every role of it inside
    the actor's subtrees)."""
    if not accounts_managed_by(user=actor).filter(pk=account.pk).exists():
        raise PermissionDenied(_("您只能管理本级及下级党组织的账号。"))


# ---------------------------------------------------------------------------
# Creating accounts
# ---------------------------------------------------------------------------
def holds_any_role(user) -> bool:
    """Whether the account still has work in the system: secretary of a branch, staff of a
    committee, or a superuser (who is never retired along with a role)."""
    return (
        user.is_superuser
        or Branch.objects.filter(secretary=user).exists()
        or CommitteeStaff.objects.filter(user=user).exists()
    )


def _retire_replaced_secretary(*, actor, previous, successor, branch: Branch) -> bool:
    """Deactivate a secretary account just replaced on `branch` if that was its last role,
    so that it can no longer sign in to an empty workspace; an account with other roles
    stays active. Returns whether it was deactivated. Runs inside account_create's
    transaction, after the branch has its new secretary."""
    locked = _locked_account(previous)
    if not locked.is_active or holds_any_role(locked):
        return False
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    forget_roles(locked)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_DEACTIVATE,
        committee=branch.committee,
        subject=_subject(locked),
        changes={str(gettext_lazy("状态")): [_("启用"), _("停用")]},
        note=_("%(branch)s的书记账号已由新账号 %(successor)s替换；原账号没有其他职务，随之停用。")
        % {"branch": branch.name, "successor": _subject(successor)},
    )
    return True


@transaction.atomic
def account_create(
    *,
    actor,
    kind: str,
    username: str,
    full_name: str,
    branch: Branch | None = None,
    committee: Committee | None = None,
    title: str = "",
):
    """A new account with its scope: a branch's secretary (replacing any previous secretary
    account of the branch, which is deactivated when that was its only role) or staff of a
    committee. Returns (user, one-time password); the password is never stored in the
    clear and cannot be shown again."""
    scope = account_scope(kind=kind, branch=branch, committee=committee)
    require_organiser(actor, scope)
    scope = Committee.objects.get(pk=scope.pk)
    if scope.is_closed:
        field = "branch" if kind == AccountKind.SECRETARY else "committee"
        raise ValidationError({field: _("“%(name)s”已撤销。") % {"name": scope.name}})
    username = _clean_username(username)
    full_name = _clean_full_name(full_name)
    title = (title or "").strip()

    User = get_user_model()
    user = User(username=username, last_name=full_name[:1], first_name=full_name[1:])
    user.set_unusable_password()
    user.save()
    password = _issue(user=user, actor=actor)

    note = ""
    if kind == AccountKind.SECRETARY:
        locked = (
            # Only the branch row: the secretary join is nullable, which PostgreSQL cannot lock.
            Branch.objects.select_for_update(of=("self",))
            .select_related("secretary", "committee")
            .get(pk=branch.pk)
        )
        previous = locked.secretary
        locked.secretary = user
        update = ["secretary", "public_changed_at"]
        if not locked.secretary_name:
            locked.secretary_name = full_name
            update.append("secretary_name")
        locked.public_changed_at = timezone.now()
        locked.save(update_fields=update)
        scope_name = locked.name
        if previous is not None:
            retired = _retire_replaced_secretary(
                actor=actor, previous=previous, successor=user, branch=locked
            )
            note = (
                _("替换原支部书记账号 %(previous)s；原账号不再管理该支部，且没有其他职务，已停用。")
                if retired
                else _("替换原支部书记账号 %(previous)s；原账号不再管理该支部。")
            ) % {"previous": _subject(previous)}
    else:
        CommitteeStaff.objects.create(
            user=user, committee=scope, role=STAFF_ROLES[AccountKind(kind)], title=title
        )
        scope_name = scope.name
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_CREATE,
        committee=scope,
        subject=_subject(user),
        changes={
            str(ACCOUNT_LABELS["kind"]): ["", str(AccountKind(kind).label)],
            str(ACCOUNT_LABELS["scope"]): ["", scope_name],
            **({str(ACCOUNT_LABELS["title"]): ["", title]} if title else {}),
        },
        note=note,
    )
    return user, password


# ---------------------------------------------------------------------------
# Passwords and the active flag
# ---------------------------------------------------------------------------
def _audit_committee(user) -> Committee:
    """Where an account sits in the tree: its highest committee role, else the committee of
    its (first) branch."""
    role = (
        CommitteeStaff.objects.filter(user=user)
        .select_related("committee")
        .order_by("committee__path")
        .first()
    )
    if role is not None:
        return role.committee
    return (
        Branch.objects.filter(secretary=user)
        .select_related("committee")
        .order_by("pk")[0]
        .committee
    )


def _locked_account(account):
    return get_user_model().objects.select_for_update().get(pk=account.pk)


@transaction.atomic
def account_reset_password(*, actor, account) -> str:
    """Give an active account a new one-time password (signing out its sessions); returns
    it, to be handed over. Organisers change their own password themselves."""
    require_account_manager(actor, account)
    locked = _locked_account(account)
    if locked.pk == actor.pk:
        raise ValidationError(_("请在“改密码”中修改您自己的密码。"))
    if not locked.is_active:
        raise ValidationError(_("账号已停用，请先恢复，再重置密码。"))
    password = _issue(user=locked, actor=actor)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_PASSWORD_RESET,
        committee=_audit_committee(locked),
        subject=_subject(locked),
    )
    return password


@transaction.atomic
def account_deactivate(*, actor, account):
    """Stop the account: the person can no longer sign in. Its roles and records stay."""
    require_account_manager(actor, account)
    locked = _locked_account(account)
    if locked.pk == actor.pk:
        raise ValidationError(_("不能停用您自己的账号。"))
    if not locked.is_active:
        raise ValidationError(_("该账号已经停用。"))
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    forget_roles(locked)
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_DEACTIVATE,
        committee=_audit_committee(locked),
        subject=_subject(locked),
        changes={str(gettext_lazy("状态")): [_("启用"), _("停用")]},
    )
    return locked


@transaction.atomic
def account_reactivate(*, actor, account):
    """Let a stopped account sign in again."""
    require_account_manager(actor, account)
    locked = _locked_account(account)
    if locked.is_active:
        raise ValidationError(_("该账号没有停用。"))
    locked.is_active = True
    locked.save(update_fields=["is_active"])
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_REACTIVATE,
        committee=_audit_committee(locked),
        subject=_subject(locked),
        changes={str(gettext_lazy("状态")): [_("停用"), _("启用")]},
    )
    return locked


@transaction.atomic
def account_unlock(*, account, actor) -> int:
    """Clear the account's failed sign-ins from every address, so that a locked-out person
    may sign in again at once; returns how many failures were cleared."""
    require_account_manager(actor, account)
    locked = _locked_account(account)
    lockouts = lockouts_of(username=locked.get_username())
    if not lockouts:
        raise ValidationError(_("该账号没有未过期的登录失败记录，无需解锁。"))
    failures = sum(lockout.failures for lockout in lockouts)
    axes_reset(username=locked.get_username())
    organisation_change_record(
        actor=actor,
        action=OrganisationAction.ACCOUNT_UNLOCK,
        committee=_audit_committee(locked),
        subject=_subject(locked),
        changes={str(gettext_lazy("登录失败次数")): [str(failures), "0"]},
        note=_("清除了来自 %(addresses)s 的登录失败记录。")
        % {"addresses": "、".join(lockout.address or "?" for lockout in lockouts)},
    )
    return failures


@transaction.atomic
def account_password_chosen(*, user) -> None:
    """The person set their own password: the one-time password no longer binds them."""
    OneTimePassword.objects.filter(user=user).delete()


def has_one_time_password(user) -> bool:
    return OneTimePassword.objects.filter(user=user).exists()


# ---------------------------------------------------------------------------
# Starting a district
# ---------------------------------------------------------------------------
@transaction.atomic
def district_start(*, name: str, username: str, full_name: str = ""):
    """The root committee (党工委) of a new district and its first organisation staff account,
    made on the server (no actor). Returns (committee, user, one-time password)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写党组织名称。")})
    if Committee.objects.filter(parent__isnull=True, name=name).exists():
        raise ValidationError({"name": _("已有名为“%(name)s”的最上级党组织。") % {"name": name}})
    username = _clean_username(username)
    full_name = re.sub(r"\s+", "", full_name or "")
    committee = Committee.objects.create(name=name, kind=CommitteeKind.WORKING_COMMITTEE)
    User = get_user_model()
    user = User(username=username, last_name=full_name[:1], first_name=full_name[1:])
    user.set_unusable_password()
    user.save()
    password = _issue(user=user, actor=None)
    CommitteeStaff.objects.create(user=user, committee=committee, role=StaffRole.ORGANISATION)
    organisation_change_record(
        actor=None,
        action=OrganisationAction.DISTRICT_START,
        committee=committee,
        subject=committee.name,
        changes={
            str(gettext_lazy("名称")): ["", committee.name],
            str(gettext_lazy("组织部门管理员")): ["", _subject(user)],
        },
    )
    return committee, user, password
