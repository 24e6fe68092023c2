import pytest
from django.db import IntegrityError, transaction

from pledges.enums import NeedStatus, PledgeStatus, Rhythm, Step
from pledges.models import Pledge
from tests import factories


@pytest.mark.django_db
def test_pledge_by_a_branch_or_by_a_member(org):
    member = factories.make_member(org.branch)
    branch_pledge = factories.make_pledge(branch=org.branch)
    member_pledge = factories.make_pledge(member=member)
    assert (branch_pledge.pledger, branch_pledge.owner_branch) == (org.branch, org.branch)
    assert (member_pledge.pledger, member_pledge.owner_branch) == (member, org.branch)
    assert branch_pledge.step == Step.DEFINE


@pytest.mark.django_db
def test_database_refuses_a_pledge_with_both_owners(org):
    member = factories.make_member(org.branch)
    pledge = factories.make_pledge(branch=org.branch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(member=member)


@pytest.mark.django_db
def test_database_refuses_a_pledge_with_no_owner(org):
    pledge = factories.make_pledge(branch=org.branch)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(branch=None)


@pytest.mark.django_db
def test_model_validation_reports_the_owner_rule_in_chinese(org):
    from django.core.exceptions import ValidationError

    pledge = Pledge(
        title="无主承诺",
        category="other",
        year=2026,
        due_date="2026-12-31",
        owner_branch=org.branch,
    )
    with pytest.raises(ValidationError) as invalid:
        pledge.full_clean()
    assert "二者选其一" in str(invalid.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("is_recurring", "rhythm", "valid"),
    [(True, Rhythm.MONTHLY, True), (False, "", True), (True, "", False), (False, "monthly", False)],
)
def test_recurring_pledge_needs_a_rhythm(org, is_recurring, rhythm, valid):
    if valid:
        pledge = factories.make_pledge(branch=org.branch, is_recurring=is_recurring, rhythm=rhythm)
        assert pledge.rhythm == rhythm
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.make_pledge(branch=org.branch, is_recurring=is_recurring, rhythm=rhythm)


@pytest.mark.django_db
def test_pledge_answers_needs(org):
    need = factories.make_need(org.branch)
    pledge = factories.make_pledge(branch=org.branch)
    pledge.needs.add(need)
    assert list(need.pledges.all()) == [pledge]
    assert need.status == NeedStatus.OPEN


@pytest.mark.django_db
def test_public_queryset_holds_published_and_later(org):
    for status in PledgeStatus:
        factories.walk_to(
            factories.make_pledge(branch=org.branch, title=status.value),
            status,
            secretary=org.secretary,
            staff=org.town_staff,
        )
    assert set(Pledge.objects.public().values_list("title", flat=True)) == {
        "published",
        "in_progress",
        "completed",
        "verified",
        "evaluated",
    }


@pytest.mark.django_db
def test_need_takes_the_branch_village_unless_given(org):
    org.branch.village = "范寨村"
    org.branch.save()
    assert factories.make_need(org.branch).village == "范寨村"
    assert factories.make_need(org.branch, village="王店村").village == "王店村"
