"""The sign-in lockout: failures counted per account and address in the database, the
Chinese lockout page, the log, and the organisation staff's list and unlock."""

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.enums import OrganisationAction
from branches.models import OrganisationChange
from branches.permissions import forget_roles
from branches.services.accounts import account_unlock
from branches.signin import client_address, client_ip_address, lockouts_for
from tests.conftest import ORGANISATION_ROLES

ROOT = Path(__file__).resolve().parents[2]
LOGIN = reverse("login")
LOCKOUTS = reverse("branches:org_signin_lockouts")
PASSWORD = "pw-12345678"  # tests.factories.make_user's
ADDRESS = "10.0.0.1"
LOCKED_TEXT = "登录失败次数过多"
WRONG_TEXT = "请输入一个正确的"
# A fixed moment, so that the lockout's end can be asserted exactly.
MOMENT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def sign_in(client, username, password, address=ADDRESS, **data):
    return client.post(
        LOGIN, {"username": username, "password": password, **data}, REMOTE_ADDR=address
    )


def fail(client, username, times, address=ADDRESS):
    response = None
    for _attempt in range(times):
        response = sign_in(client, username, "wrong-password", address)
    return response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def frozen():
    with time_machine.travel(MOMENT, tick=False) as traveller:
        yield traveller


# ---------------------------------------------------------------------------
# Signing in
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("failures", "signs_in"), [(0, True), (4, True), (5, False)])
def test_sign_in_refused_after_five_failures_even_with_the_right_password(
    client, org, failures, signs_in
):
    fail(client, "fanzhai", failures)
    response = sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client) == signs_in
    assert (response.status_code, LOCKED_TEXT in response.text) == (
        (302, False) if signs_in else (429, True)
    )


def test_fifth_failure_shows_the_lockout_on_the_sign_in_page(client, org, frozen):
    fourth = fail(client, "fanzhai", 4)
    assert (fourth.status_code, WRONG_TEXT in fourth.text, LOCKED_TEXT in fourth.text) == (
        200,
        True,
        False,
    )
    response = fail(client, "fanzhai", 1)
    assert response.status_code == 429
    assert [t.name for t in response.templates][0] == "registration/login.html"
    assert 'name="password"' in response.text
    assert 'value="fanzhai"' in response.text
    # 17:00 in Asia/Shanghai is 09:00 UTC plus the 15 minutes' cool-off.
    assert "请在 15 分钟后（17:15 以后）再试" in response.text
    assert "组织部门管理员解除锁定" in response.text


@pytest.mark.parametrize(
    ("next_url", "kept"),
    [("/work/organisation/", "/work/organisation/"), ("https://evil.example/", "")],
)
def test_lockout_page_keeps_only_a_safe_next(client, org, next_url, kept):
    fail(client, "fanzhai", 4)
    response = sign_in(client, "fanzhai", "wrong", next=next_url)
    assert response.status_code == 429
    assert f'name="next" value="{kept}"' in response.text


@pytest.mark.parametrize(
    ("username", "address", "signs_in"),
    [
        ("fanzhai", ADDRESS, False),
        ("fanzhai", "10.0.0.2", True),
        ("jishicun", ADDRESS, True),
    ],
)
def test_lockout_holds_for_the_account_and_address_together(
    client, org, username, address, signs_in
):
    fail(client, "fanzhai", 5)
    sign_in(client, username, PASSWORD, address)
    assert signed_in(client) == signs_in


@pytest.mark.parametrize(("seconds", "signs_in"), [(899, False), (900, False), (901, True)])
def test_lockout_ends_after_the_cool_off(client, org, frozen, seconds, signs_in):
    fail(client, "fanzhai", 5)
    frozen.shift(datetime.timedelta(seconds=seconds))
    sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client) == signs_in


def test_tries_while_locked_out_do_not_extend_it(client, org, frozen):
    fail(client, "fanzhai", 5)
    frozen.shift(datetime.timedelta(minutes=10))
    fail(client, "fanzhai", 3)
    frozen.shift(datetime.timedelta(minutes=5, seconds=1))
    sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client)


def test_cool_off_and_limit_follow_the_settings(client, org, frozen, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=60)
    response = fail(client, "fanzhai", 2)
    assert "请在 60 分钟后（18:00 以后）再试" in response.text
    frozen.shift(datetime.timedelta(minutes=59))
    sign_in(client, "fanzhai", PASSWORD)
    assert not signed_in(client)


def test_successful_sign_in_clears_the_count(client, org):
    fail(client, "fanzhai", 4)
    sign_in(client, "fanzhai", PASSWORD)
    assert AccessAttempt.objects.filter(username="fanzhai").count() == 0
    client.logout()
    fail(client, "fanzhai", 4)
    sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client)


def test_sign_in_gives_a_new_session_key(client, org):
    session = client.session
    session["seen_before_sign_in"] = True
    session.save()
    before = session.session_key
    sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client)
    assert client.session.session_key != before
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value == client.session.session_key


def test_checks_without_a_request_still_work(client, org):
    """The test client's login() and server-side commands call authenticate() without a
    request: they are not sign-ins, and the lockout neither counts nor blocks them."""
    fail(client, "fanzhai", 5)
    assert authenticate(username="fanzhai", password=PASSWORD) == org.secretary
    assert authenticate(username="fanzhai", password="wrong") is None
    assert client.login(username="jishicun", password=PASSWORD)
    assert AccessAttempt.objects.get(username="fanzhai").failures_since_start == 5


# ---------------------------------------------------------------------------
# The client's address
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header_setting", "meta", "address", "ip_address"),
    [
        ("", {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "1.2.3.4"}, "10.0.0.1", "10.0.0.1"),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "1.2.3.4"},
            "1.2.3.4",
            "1.2.3.4",
        ),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1", "10.0.0.1"),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "2001:DB8::1"},
            "2001:DB8::1",
            "2001:db8::1",
        ),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_REAL_IP": "unknown"},
            "unknown",
            None,
        ),
    ],
)
def test_client_address_is_the_sites_one_and_axes_gets_only_ip_addresses(
    settings, header_setting, meta, address, ip_address
):
    settings.PUBLIC_CLIENT_ADDRESS_HEADER = header_setting
    request = RequestFactory().get("/", **meta)
    assert (client_address(request), client_ip_address(request)) == (address, ip_address)


def test_lockout_counts_the_address_from_the_proxy_header(client, org, settings):
    settings.PUBLIC_CLIENT_ADDRESS_HEADER = "HTTP_X_REAL_IP"
    for _attempt in range(5):
        client.post(LOGIN, {"username": "fanzhai", "password": "wrong"}, HTTP_X_REAL_IP="1.2.3.4")
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("1.2.3.4", 5)
    ]
    # Another client behind the same proxy (same REMOTE_ADDR) still signs in.
    client.post(LOGIN, {"username": "fanzhai", "password": PASSWORD}, HTTP_X_REAL_IP="5.6.7.8")
    assert signed_in(client)


# ---------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------
def test_every_failed_and_locked_sign_in_is_logged_without_the_password(
    client, org, frozen, caplog
):
    caplog.set_level(logging.INFO)
    fail(client, "fanzhai", 5)
    sign_in(client, "fanzhai", PASSWORD)
    who = "username='fanzhai' address=10.0.0.1"
    until = "locked_until=2026-03-02T09:15:00+00:00"
    assert [r.getMessage() for r in caplog.records if r.name == "pledgewall.signin"] == [
        *[f"Sign-in failed: {who} failures={n} of 5" for n in range(1, 6)],
        f"Sign-in locked out: {who} failures=5 {until}",
        f"Sign-in refused, locked out: {who} failures=5 {until}",
    ]
    assert {r.levelname for r in caplog.records if r.name == "pledgewall.signin"} == {"WARNING"}
    assert "wrong-password" not in caplog.text
    assert PASSWORD not in caplog.text


def test_unknown_username_is_logged_and_counted_too(client, org, caplog):
    caplog.set_level(logging.INFO)
    fail(client, "nobody\nforged line", 1)
    assert [r.getMessage() for r in caplog.records if r.name == "pledgewall.signin"] == [
        "Sign-in failed: username='nobody\\nforged line' address=10.0.0.1 failures=1 of 5"
    ]


# ---------------------------------------------------------------------------
# The organisation staff's list and unlock
# ---------------------------------------------------------------------------
def _lock_the_tree(client, org):
    """fanzhai (town branch) locked; the far town's secretary with two failures; a username
    without an account locked."""
    fail(client, "fanzhai", 5)
    fail(client, org.far_branch.secretary.username, 2, address="10.0.0.9")
    fail(client, "nobody", 5)


LIST_EXPECTED = {
    "district_organiser": ["fanzhai", "far"],
    "town_organiser": ["fanzhai"],
}


@pytest.mark.parametrize("who", ORGANISATION_ROLES)
def test_lockout_list_shows_only_accounts_in_the_viewers_subtrees(client_as, client, org, who):
    _lock_the_tree(client, org)
    response = client_as(who).get(LOCKOUTS)
    if who == "anonymous":
        assert response.status_code == 302
        return
    if who not in LIST_EXPECTED:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    far = org.far_branch.secretary.username
    shown = [
        "far" if lockout.username == far else lockout.username
        for lockout in response.context["lockouts"]
    ]
    assert shown == LIST_EXPECTED[who]
    assert "nobody" not in response.text


def test_lockout_list_row_says_who_where_how_many_and_until_when(client_as, client, org, frozen):
    _lock_the_tree(client, org)
    response = client_as("district_organiser").get(LOCKOUTS)
    locked, unlocked = response.context["lockouts"]
    assert (locked.account, locked.address, locked.failures, locked.is_locked) == (
        org.secretary,
        ADDRESS,
        5,
        True,
    )
    assert locked.locked_until == MOMENT + datetime.timedelta(minutes=15)
    assert (unlocked.address, unlocked.failures, unlocked.is_locked) == ("10.0.0.9", 2, False)
    assert "2026-03-02 17:15" in response.text
    assert "已锁定" in response.text


def test_lockout_list_runs_a_fixed_number_of_queries(client, org):
    fail(client, "fanzhai", 5)
    with CaptureQueriesContext(connection) as first:
        assert len(lockouts_for(user=org.district_organiser)) == 1
    fail(client, "fanzhai", 2, address="10.0.0.2")
    fail(client, "jishicun", 5)
    fail(client, org.far_branch.secretary.username, 3)
    forget_roles(org.district_organiser)
    with CaptureQueriesContext(connection) as more:
        assert len(lockouts_for(user=org.district_organiser)) == 4
    assert len(more) == len(first) == 3


def test_accounts_page_links_to_the_lockouts_with_their_count(client_as, client, org):
    _lock_the_tree(client, org)
    response = client_as("town_organiser").get(reverse("branches:org_accounts"))
    assert response.context["locked_count"] == 1
    assert LOCKOUTS in response.text


def test_unlock_lets_the_person_sign_in_and_writes_the_audit_row(client_as, client, org):
    fail(client, "fanzhai", 5)
    response = client_as("town_organiser").post(
        reverse("branches:org_account_unlock", args=[org.secretary.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == LOCKOUTS
    change = OrganisationChange.objects.order_by("-pk").first()
    assert (change.action, change.actor, change.committee, change.subject) == (
        OrganisationAction.ACCOUNT_UNLOCK,
        org.town_organiser,
        org.town,
        "fanzhai（fanzhai）",
    )
    assert change.changes == {"登录失败次数": ["5", "0"]}
    assert change.note == "清除了来自 10.0.0.1 的登录失败记录。"
    client.logout()
    sign_in(client, "fanzhai", PASSWORD)
    assert signed_in(client)


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("district_organiser", "far", 302),
        ("town_organiser", "far", 404),
        ("town_organiser", "fanzhai", 302),
        ("town_staff", "fanzhai", 403),
        ("district_staff", "fanzhai", 403),
        ("secretary", "fanzhai", 403),
        ("anonymous", "fanzhai", 302),
    ],
)
def test_unlock_only_within_the_viewers_subtrees(client_as, client, org, who, target, status):
    account = org.secretary if target == "fanzhai" else org.far_branch.secretary
    fail(client, account.username, 5)
    response = client_as(who).post(reverse("branches:org_account_unlock", args=[account.pk]))
    assert response.status_code == status
    unlocked = status == 302 and who != "anonymous"
    assert AccessAttempt.objects.filter(username=account.username).exists() == (not unlocked)
    assert (
        OrganisationChange.objects.filter(action=OrganisationAction.ACCOUNT_UNLOCK).exists()
        == unlocked
    )


def test_unlock_is_a_post(client_as, org):
    response = client_as("town_organiser").get(
        reverse("branches:org_account_unlock", args=[org.secretary.pk])
    )
    assert response.status_code == 405


def test_account_unlock_refuses_when_nothing_is_counted(org):
    with pytest.raises(ValidationError):
        account_unlock(account=org.secretary, actor=org.town_organiser)
    assert not OrganisationChange.objects.filter(action=OrganisationAction.ACCOUNT_UNLOCK).exists()


def test_account_unlock_refuses_an_account_outside(client, org):
    fail(client, org.far_branch.secretary.username, 5)
    with pytest.raises(PermissionDenied):
        account_unlock(account=org.far_branch.secretary, actor=org.town_organiser)
    assert AccessAttempt.objects.filter(username=org.far_branch.secretary.username).exists()


def test_unlock_clears_every_address_of_the_account(client, org):
    fail(client, "fanzhai", 5)
    fail(client, "fanzhai", 3, address="10.0.0.2")
    fail(client, "jishicun", 5)
    assert account_unlock(account=org.secretary, actor=org.town_organiser) == 8
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["jishicun"]


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "printed"),
    [
        ({}, "5 0:15:00 [['username', 'ip_address']]"),
        ({"AXES_FAILURE_LIMIT": "3", "AXES_COOLOFF_MINUTES": "60"}, "3 1:00:00"),
        ({"AXES_COOLOFF_MINUTES": "0"}, None),
    ],
)
def test_limit_and_cool_off_come_from_the_environment(env, printed):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; "
            "print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME, s.AXES_LOCKOUT_PARAMETERS)",
        ],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
    )
    if printed is None:
        assert result.returncode != 0
        assert "AXES_COOLOFF_MINUTES" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(printed)
