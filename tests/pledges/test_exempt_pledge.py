"""A pledge written for a member exempt from pledging (免于承诺): asked to confirm, the
reason recorded and shown to the reviewing staff, never to the public."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from branches.enums import ExemptionReason
from pledges.enums import PledgeStatus
from pledges.models import Pledge
from pledges.services.drafting import pledge_create, pledge_update
from tests import factories

S = PledgeStatus
DUE = timezone.localdate() + datetime.timedelta(days=10)
FIELDS = {
    "title": "每年修剪村内花草树木一次",
    "category": "environment",
    "year": DUE.year,
    "due_date": DUE,
}


@pytest.fixture
def exempt(org):
    return factories.make_member(
        org.branch, name="姬国胜", is_exempt=True, exemption_reason=ExemptionReason.OLD_AGE
    )


def pledge_data(member, **extra):
    data = {
        "member": str(member.pk),
        "title": FIELDS["title"],
        "content": "",
        "beneficiaries": "",
        "category": "environment",
        "year": str(DUE.year),
        "due_date": DUE.isoformat(),
        "rhythm": "",
        "action": "draft",
        "nodes-TOTAL_FORMS": "3",
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
    }
    data.update(extra)
    return data


def add_url(org):
    return reverse("pledges:pledge_add", args=[org.branch.pk])


def test_exempt_member_without_confirmation_is_asked_and_keeps_what_was_typed(
    client_as, org, exempt
):
    response = client_as("secretary").post(add_url(org), pledge_data(exempt))

    assert response.status_code == 200
    assert "姬国胜已免于承诺：如仍为其写承诺，请勾选确认并填写原因。" in response.text
    assert "请填写为免于承诺的党员写承诺的原因。" in response.text
    assert "该党员已免于承诺，仍为其写承诺" in response.text
    assert f'value="{FIELDS["title"]}"' in response.text
    assert Pledge.objects.count() == 0


def test_exempt_member_confirmed_without_reason_is_refused(client_as, org, exempt):
    response = client_as("secretary").post(add_url(org), pledge_data(exempt, exempt_confirmed="on"))

    assert response.status_code == 200
    assert "请填写为免于承诺的党员写承诺的原因。" in response.text
    assert 'name="exempt_confirmed"' in response.text and "checked" in response.text
    assert Pledge.objects.count() == 0


def test_exempt_member_reason_without_confirmation_is_refused(client_as, org, exempt):
    response = client_as("secretary").post(
        add_url(org), pledge_data(exempt, exempt_override_reason="本人主动要求")
    )

    assert response.status_code == 200
    assert "请勾选确认并填写原因" in response.text
    assert "本人主动要求" in response.text
    assert Pledge.objects.count() == 0


def test_exempt_member_confirmed_with_reason_records_it(client_as, org, exempt):
    response = client_as("secretary").post(
        add_url(org),
        pledge_data(exempt, exempt_confirmed="on", exempt_override_reason="本人主动要求，力所能及"),
    )

    pledge = Pledge.objects.get()
    assert response.status_code == 302
    assert pledge.member == exempt
    assert pledge.exempt_override_reason == "本人主动要求，力所能及"


def test_member_not_exempt_needs_no_confirmation_and_keeps_no_reason(client_as, org):
    member = factories.make_member(org.branch)

    response = client_as("secretary").post(
        add_url(org), pledge_data(member, exempt_override_reason="多余")
    )

    assert response.status_code == 302
    assert Pledge.objects.get().exempt_override_reason == ""


def test_pledge_create_refuses_exempt_member_without_reason(org, exempt):
    with pytest.raises(ValidationError) as refusal:
        pledge_create(branch=org.branch, member=exempt, actor=org.secretary, **FIELDS)

    assert list(refusal.value.message_dict) == ["exempt_override_reason"]
    assert Pledge.objects.count() == 0


def test_pledge_update_to_exempt_member_needs_the_reason(org, exempt):
    pledge = pledge_create(branch=org.branch, member=None, actor=org.secretary, **FIELDS)

    with pytest.raises(ValidationError):
        pledge_update(pledge=pledge, member=exempt, actor=org.secretary, **FIELDS)
    pledge_update(
        pledge=pledge,
        member=exempt,
        actor=org.secretary,
        exempt_override_reason="本人要求",
        **FIELDS,
    )

    pledge.refresh_from_db()
    assert (pledge.member, pledge.exempt_override_reason) == (exempt, "本人要求")


def test_edit_page_of_an_exempt_members_pledge_shows_the_confirmation(client_as, org, exempt):
    pledge = pledge_create(
        branch=org.branch,
        member=exempt,
        actor=org.secretary,
        exempt_override_reason="本人要求",
        **FIELDS,
    )

    text = client_as("secretary").get(reverse("pledges:pledge_edit", args=[pledge.pk])).text

    assert "本人要求" in text
    assert 'name="exempt_confirmed"' in text


def test_review_page_shows_the_reason_to_staff_and_public_page_does_not(
    client, client_as, org, exempt
):
    pledge = pledge_create(
        branch=org.branch,
        member=exempt,
        actor=org.secretary,
        exempt_override_reason="本人主动要求",
        submit=True,
        **FIELDS,
    )

    review = client_as("town_staff").get(reverse("pledges:pledge_review", args=[pledge.pk])).text
    pledge.approve(org.town_staff)
    pledge.publish(org.secretary)
    public_page = client.get(reverse("public:pledge_page", args=[pledge.pk])).text

    assert "该党员已免于承诺，支部书记确认仍为其写承诺。原因：本人主动要求" in review
    assert "本人主动要求" not in public_page
