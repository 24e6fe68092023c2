import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from branches.enums import AccountKind, OrganisationAction, StaffRole
from branches.models import CommitteeStaff, OneTimePassword, OrganisationChange
from branches.permissions import is_organisation_staff_over, staff_committee_paths
from branches.services.accounts import (
    ONE_TIME_ALPHABET,
    ONE_TIME_LENGTH,
    account_create,
    account_deactivate,
    account_reactivate,
    account_reset_password,
)
from tests import factories

User = get_user_model()
NEW_PASSWORD = "Hongqi-2026-zhibu"


def _last_change():
    return OrganisationChange.objects.order_by("-pk").first()


def _password_from(response) -> str:
    return "".join(response.context["password_groups"])


def _create_via_page(client, kind, **data):
    return client.post(reverse("branches:org_account_add", args=[kind]), data)


# ---------------------------------------------------------------------------
# Creating accounts
# ---------------------------------------------------------------------------
def test_account_create_secretary_sets_branch_and_name(org):
    branch = factories.make_branch(org.town, name="王庄村党支部")
    user, password = account_create(
        actor=org.town_organiser,
        kind=AccountKind.SECRETARY,
        username="wangzhuang",
        full_name="王 彦军",
        branch=branch,
    )
    branch.refresh_from_db()
    assert branch.secretary == user
    assert branch.secretary_name == "王彦军"
    assert (user.last_name, user.first_name) == ("王", "彦军")
    assert len(password) == ONE_TIME_LENGTH
    assert set(password) <= set(ONE_TIME_ALPHABET)
    assert user.password != password
    assert authenticate(username="wangzhuang", password=password) == user
    assert OneTimePassword.objects.get(user=user).issued_by == org.town_organiser
    change = _last_change()
    assert change.action == OrganisationAction.ACCOUNT_CREATE
    assert change.committee == org.town
    assert change.subject == "王彦军（wangzhuang）"
    assert change.note == ""


def test_account_create_secretary_replaces_previous_account(org):
    org.branch.secretary_name = "范老书记"
    org.branch.save()
    user, _password = account_create(
        actor=org.town_organiser,
        kind=AccountKind.SECRETARY,
        username="fanzhai2",
        full_name="李新",
        branch=org.branch,
    )
    org.branch.refresh_from_db()
    assert org.branch.secretary == user
    assert org.branch.secretary_name == "范老书记"
    assert "替换原支部书记账号" in _last_change().note
    assert "fanzhai" in _last_change().note


def _replace_secretary(org):
    """A new secretary account for 范寨村党支部, whose secretary account is `fanzhai`."""
    user, _password = account_create(
        actor=org.town_organiser,
        kind=AccountKind.SECRETARY,
        username="fanzhai2",
        full_name="李新",
        branch=org.branch,
    )
    return user


def test_account_create_secretary_deactivates_previous_account_left_without_roles(org):
    user = _replace_secretary(org)
    org.secretary.refresh_from_db()
    assert org.secretary.is_active is False
    assert authenticate(username="fanzhai", password="pw-12345678") is None
    deactivation = OrganisationChange.objects.get(action=OrganisationAction.ACCOUNT_DEACTIVATE)
    assert deactivation.subject == "fanzhai（fanzhai）"
    assert deactivation.committee == org.town
    assert deactivation.actor == org.town_organiser
    assert deactivation.changes == {"状态": ["启用", "停用"]}
    assert deactivation.note == (
        "范寨村党支部的书记账号已由新账号 李新（fanzhai2）替换；原账号没有其他职务，随之停用。"
    )
    creation = _last_change()
    assert (creation.action, creation.subject) == (
        OrganisationAction.ACCOUNT_CREATE,
        "李新（fanzhai2）",
    )
    assert creation.note == (
        "替换原支部书记账号 fanzhai（fanzhai）；原账号不再管理该支部，且没有其他职务，已停用。"
    )
    assert user.is_active is True


@pytest.mark.parametrize(
    "other_role",
    [
        pytest.param(lambda org: factories.make_branch(org.town, org.secretary), id="secretary"),
        pytest.param(lambda org: factories.make_staff(org.town, org.secretary), id="staff"),
    ],
)
def test_account_create_secretary_keeps_previous_account_with_other_roles(org, other_role):
    other_role(org)
    _replace_secretary(org)
    org.secretary.refresh_from_db()
    assert org.secretary.is_active is True
    assert authenticate(username="fanzhai", password="pw-12345678") == org.secretary
    assert not OrganisationChange.objects.filter(
        action=OrganisationAction.ACCOUNT_DEACTIVATE
    ).exists()
    assert _last_change().note == "替换原支部书记账号 fanzhai（fanzhai）；原账号不再管理该支部。"


def test_account_create_secretary_leaves_an_already_deactivated_account_alone(org):
    account_deactivate(actor=org.town_organiser, account=org.secretary)
    _replace_secretary(org)
    assert (
        OrganisationChange.objects.filter(action=OrganisationAction.ACCOUNT_DEACTIVATE).count() == 1
    )
    assert _last_change().note == "替换原支部书记账号 fanzhai（fanzhai）；原账号不再管理该支部。"


@pytest.mark.parametrize(
    ("staff", "said"),
    [
        (False, "原账号没有其他职务，已随之停用，不能再登录；其记录保留。"),
        (True, "原账号仍有其他职务（其他党支部书记或党委工作人员），保持启用。"),
    ],
)
def test_account_add_page_says_what_became_of_the_replaced_account(org, client_as, staff, said):
    if staff:
        factories.make_staff(org.town, org.secretary)
    response = _create_via_page(
        client_as("town_organiser"),
        AccountKind.SECRETARY,
        full_name="李新",
        username="fanzhai2",
        branch=org.branch.pk,
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "本账号已替换原支部书记账号“fanzhai”（fanzhai），原账号不再管理该支部。" in content
    assert said in content


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (AccountKind.REVIEW_STAFF, StaffRole.REVIEW),
        (AccountKind.ORGANISATION_STAFF, StaffRole.ORGANISATION),
    ],
)
def test_account_create_staff_adds_the_role(org, kind, role):
    user, _password = account_create(
        actor=org.district_organiser,
        kind=kind,
        username="zhangsan",
        full_name="张三",
        committee=org.town,
        title="组织委员",
    )
    staff = CommitteeStaff.objects.get(user=user)
    assert (staff.committee, staff.role, staff.title) == (org.town, role, "组织委员")
    fresh = User.objects.get(pk=user.pk)
    if role == StaffRole.REVIEW:
        assert staff_committee_paths(fresh) == (org.town.path,)
    else:
        assert is_organisation_staff_over(fresh, org.branch.committee)


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "请填写登录名"),
        ("王彦军", "只能使用英文字母、数字"),
        ("wang yj", "只能使用英文字母、数字"),
        ("ab", "3 到 30 个字符"),
        ("FANZHAI", "登录名“FANZHAI”已被使用"),
    ],
)
def test_account_create_bad_username_is_refused(org, username, message):
    with pytest.raises(ValidationError) as error:
        account_create(
            actor=org.town_organiser,
            kind=AccountKind.REVIEW_STAFF,
            username=username,
            full_name="张三",
            committee=org.town,
        )
    assert message in " ".join(error.value.messages)
    assert not OrganisationChange.objects.exists()


def test_account_create_outside_subtree_is_refused(org):
    with pytest.raises(PermissionDenied):
        account_create(
            actor=org.town_organiser,
            kind=AccountKind.SECRETARY,
            username="yuancun",
            full_name="张三",
            branch=org.far_branch,
        )
    assert not User.objects.filter(username="yuancun").exists()


@pytest.mark.parametrize("kind", AccountKind.values)
def test_account_add_page_shows_the_password_once(org, client_as, kind):
    client = client_as("district_organiser")
    scope = (
        {"branch": org.branch.pk} if kind == AccountKind.SECRETARY else {"committee": org.town.pk}
    )
    response = _create_via_page(client, kind, full_name="张三", username="zhangsan", **scope)
    assert response.status_code == 200
    password = _password_from(response)
    content = response.content.decode()
    for group in response.context["password_groups"]:
        assert f"<span>{group}</span>" in content
    assert "zhangsan" in content
    assert "http://127.0.0.1:8000/accounts/login/" in content or "/accounts/login/" in content
    assert "首次登录时，系统会要求您设置自己的新密码" in content
    assert "no-store" in response["Cache-Control"]
    # Never again: not in the session, the messages, the list or the form.
    assert password not in str(dict(client.session))
    for url in (
        reverse("branches:org_accounts"),
        reverse("branches:org_account_add", args=[kind]),
        reverse("branches:org_home"),
    ):
        page = client.get(url).content.decode()
        assert password not in page
        assert "".join(response.context["password_groups"][:1]) not in page
    assert authenticate(username="zhangsan", password=password) is not None


def test_account_add_page_errors_keep_input(org, client_as):
    response = _create_via_page(
        client_as("district_organiser"),
        "review_staff",
        full_name="张三",
        username="张三",
        committee=org.town.pk,
        title="组织委员",
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "只能使用英文字母、数字" in content
    assert 'value="组织委员"' in content
    assert 'value="张三"' in content
    assert "password_groups" not in response.context


def test_account_add_unknown_kind_is_404(org, client_as):
    response = client_as("district_organiser").get(
        reverse("branches:org_account_add", args=["king"])
    )
    assert response.status_code == 404


# ---------------------------------------------------------------------------
# First sign-in: the one-time password must be replaced
# ---------------------------------------------------------------------------
@pytest.fixture
def handed_over(org):
    user, password = account_create(
        actor=org.town_organiser,
        kind=AccountKind.SECRETARY,
        username="wangzhuang",
        full_name="王彦军",
        branch=factories.make_branch(org.town, name="王庄村党支部"),
    )
    return user, password


def test_sign_in_with_one_time_password_is_forced_to_change_it(client, handed_over):
    user, password = handed_over
    response = client.post(reverse("login"), {"username": "wangzhuang", "password": password})
    assert response.status_code == 302
    for url in (reverse("home"), reverse("branches:org_home"), "/work/branches/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("password_change")
    page = client.get(reverse("password_change"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "设置您自己的密码" in content
    assert "请先设置您自己的密码" in content
    assert 'name="old_password"' not in content


def test_weak_new_password_is_refused_and_still_forced(client, handed_over):
    _user, password = handed_over
    client.post(reverse("login"), {"username": "wangzhuang", "password": password})
    response = client.post(
        reverse("password_change"), {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("home")).status_code == 302


def test_after_choosing_a_password_the_person_works_normally(client, handed_over):
    user, password = handed_over
    client.post(reverse("login"), {"username": "wangzhuang", "password": password})
    response = client.post(
        reverse("password_change"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not OneTimePassword.objects.filter(user=user).exists()
    assert client.get(reverse("home")).status_code == 200
    # The one-time password is gone; the chosen one works.
    assert authenticate(username="wangzhuang", password=password) is None
    client.logout()
    client.post(reverse("login"), {"username": "wangzhuang", "password": NEW_PASSWORD})
    assert client.get(reverse("home")).status_code == 200


def test_forced_change_also_applies_to_a_session_without_the_login_signal(client, handed_over):
    user, _password = handed_over
    client.force_login(user)
    session = client.session
    session.pop("pledgewall_one_time_password", None)
    session.save()
    assert client.get(reverse("home"))["Location"] == reverse("password_change")


def test_ordinary_password_change_asks_for_the_old_password(org, client_as):
    client = client_as("secretary")
    page = client.get(reverse("password_change")).content.decode()
    assert 'name="old_password"' in page
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-12345678",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("password_change_done")


def test_logout_and_static_stay_reachable_while_forced(client, handed_over):
    _user, password = handed_over
    client.post(reverse("login"), {"username": "wangzhuang", "password": password})
    assert client.get("/healthz").status_code == 200
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")


# ---------------------------------------------------------------------------
# Reset, deactivate, reactivate
# ---------------------------------------------------------------------------
def test_reset_password_issues_a_new_one_time_password(org, client_as):
    client = client_as("town_organiser")
    response = client.post(reverse("branches:org_account_reset_password", args=[org.secretary.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    password = _password_from(response)
    assert authenticate(username="fanzhai", password="pw-12345678") is None
    assert authenticate(username="fanzhai", password=password) == org.secretary
    assert OneTimePassword.objects.filter(user=org.secretary).exists()
    change = _last_change()
    assert change.action == OrganisationAction.ACCOUNT_PASSWORD_RESET
    assert change.committee == org.town


def test_reset_password_signs_out_the_old_session(org, client, client_as):
    client.force_login(org.secretary)
    assert client.get(reverse("home")).status_code == 200
    account_reset_password(actor=org.town_organiser, account=org.secretary)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("login"))


def test_deactivate_blocks_sign_in(org, client):
    account_deactivate(actor=org.town_organiser, account=org.secretary)
    response = client.post(reverse("login"), {"username": "fanzhai", "password": "pw-12345678"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert _last_change().action == OrganisationAction.ACCOUNT_DEACTIVATE
    account_reactivate(actor=org.town_organiser, account=org.secretary)
    response = client.post(reverse("login"), {"username": "fanzhai", "password": "pw-12345678"})
    assert response.status_code == 302
    assert _last_change().action == OrganisationAction.ACCOUNT_REACTIVATE


def test_deactivate_page_shows_refusals(org, client_as):
    client = client_as("district_organiser")
    response = client.post(
        reverse("branches:org_account_deactivate", args=[org.district_organiser.pk]), follow=True
    )
    assert "不能停用您自己的账号" in response.content.decode()
    org.district_organiser.refresh_from_db()
    assert org.district_organiser.is_active


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (account_reset_password, "请在“改密码”中修改您自己的密码"),
        (account_deactivate, "不能停用您自己的账号"),
    ],
)
def test_organiser_cannot_reset_or_deactivate_self(org, service, message):
    with pytest.raises(ValidationError) as error:
        service(actor=org.town_organiser, account=org.town_organiser)
    assert message in " ".join(error.value.messages)


def test_reset_and_deactivate_refusals_on_state(org):
    account_deactivate(actor=org.town_organiser, account=org.secretary)
    with pytest.raises(ValidationError):
        account_deactivate(actor=org.town_organiser, account=org.secretary)
    with pytest.raises(ValidationError):
        account_reset_password(actor=org.town_organiser, account=org.secretary)
    account_reactivate(actor=org.town_organiser, account=org.secretary)
    with pytest.raises(ValidationError):
        account_reactivate(actor=org.town_organiser, account=org.secretary)


@pytest.mark.parametrize("who", ["district_organiser", "far_secretary", "district_staff"])
def test_town_organiser_cannot_manage_accounts_reaching_outside(org, who):
    account = org.far_branch.secretary if who == "far_secretary" else getattr(org, who)
    with pytest.raises(PermissionDenied):
        account_deactivate(actor=org.town_organiser, account=account)


def test_account_holding_a_role_outside_is_not_manageable(org, client_as):
    factories.make_staff(org.other_town, org.town_staff)
    response = client_as("town_organiser").post(
        reverse("branches:org_account_deactivate", args=[org.town_staff.pk])
    )
    assert response.status_code == 404


def test_superuser_is_never_manageable(org):
    boss = User.objects.create_superuser("boss", password="x-12345678")
    factories.make_staff(org.town, boss)
    with pytest.raises(PermissionDenied):
        account_deactivate(actor=org.district_organiser, account=boss)


def test_accounts_list_filters_and_marks_pending(org, client_as, handed_over):
    client = client_as("town_organiser")
    response = client.get(reverse("branches:org_accounts"), {"show": "pending"})
    accounts = list(response.context["page_obj"])
    assert [a.username for a in accounts] == ["wangzhuang"]
    assert "待首次登录改密码" in response.content.decode()
    response = client.get(reverse("branches:org_accounts"))
    usernames = {a.username for a in response.context["page_obj"]}
    assert usernames == {"fanzhai", "jishicun", "jishi", "jishi_zuzhi", "wangzhuang"}
    response = client.get(reverse("branches:org_accounts"), {"show": "organisation_staff"})
    assert [a.username for a in response.context["page_obj"]] == ["jishi_zuzhi"]


def test_public_pages_are_left_alone_while_forced(org, client, handed_over):
    _user, password = handed_over
    client.post(reverse("login"), {"username": "wangzhuang", "password": password})
    response = client.get(reverse("public:by_token", args=[org.branch.public_token]))
    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


def test_secretary_account_page_starts_from_the_branch_and_its_secretarys_name(org, client_as):
    org.branch.secretary_name = "王彦军"
    org.branch.save()
    url = reverse("branches:org_account_add", args=["secretary"]) + f"?branch={org.branch.pk}"

    form = client_as("town_organiser").get(url).context["form"]

    assert (form["branch"].value(), form["full_name"].value()) == (org.branch.pk, "王彦军")
    # A branch outside the organiser's subtree is not found.
    far = reverse("branches:org_account_add", args=["secretary"]) + f"?branch={org.far_branch.pk}"
    assert client_as("town_organiser").get(far).status_code == 404
