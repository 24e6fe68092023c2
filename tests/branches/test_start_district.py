import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from branches.enums import CommitteeKind, OrganisationAction, StaffRole
from branches.models import Committee, CommitteeStaff, OneTimePassword, OrganisationChange
from tests import factories

NAME = "某某示范区党工委"


def _start(*args) -> str:
    out = io.StringIO()
    call_command("start_district", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_start_district_creates_root_and_first_organiser(settings):
    settings.PUBLIC_BASE_URL = "https://dangjian.example.gov.cn"
    output = _start(NAME, "--staff", "zuzhibu", "--full-name", "赵组织")
    root = Committee.objects.get()
    assert (root.name, root.kind, root.parent) == (NAME, CommitteeKind.WORKING_COMMITTEE, None)
    staff = CommitteeStaff.objects.get()
    assert (staff.committee, staff.role) == (root, StaffRole.ORGANISATION)
    user = staff.user
    assert (user.username, user.last_name, user.first_name) == ("zuzhibu", "赵", "组织")
    assert OneTimePassword.objects.filter(user=user, issued_by=None).exists()
    password = re.search(r"一次性密码：(\w+)", output).group(1)
    assert authenticate(username="zuzhibu", password=password) == user
    assert "https://dangjian.example.gov.cn/accounts/login/" in output
    change = OrganisationChange.objects.get()
    assert (change.action, change.actor, change.committee) == (
        OrganisationAction.DISTRICT_START,
        None,
        root,
    )


@pytest.mark.django_db
def test_first_organiser_signs_in_and_is_sent_to_choose_a_password(client):
    output = _start(NAME, "--staff", "zuzhibu")
    password = re.search(r"一次性密码：(\w+)", output).group(1)
    client.post("/accounts/login/", {"username": "zuzhibu", "password": password})
    assert client.get("/work/organisation/")["Location"] == "/accounts/password/"


@pytest.mark.django_db
def test_start_district_refuses_an_existing_root_name():
    factories.make_committee(NAME, kind=CommitteeKind.WORKING_COMMITTEE)
    with pytest.raises(CommandError, match="已有名为“某某示范区党工委”的最上级党组织"):
        _start(NAME, "--staff", "zuzhibu")
    assert not CommitteeStaff.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "message"),
    [("taken", "已被使用"), ("组织部", "只能使用英文字母"), ("", "请填写登录名")],
)
def test_start_district_refuses_a_bad_username_and_leaves_nothing(username, message):
    factories.make_user("taken")
    with pytest.raises(CommandError, match=message):
        _start(NAME, "--staff", username)
    assert not Committee.objects.exists()
    assert not OrganisationChange.objects.exists()


@pytest.mark.django_db
def test_start_district_needs_the_staff_option():
    with pytest.raises(CommandError):
        _start(NAME)
