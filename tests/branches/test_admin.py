import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from branches.enums import BranchKind, ExemptionReason
from branches.models import (
    Branch,
    Committee,
    CommitteeStaff,
    ImportBatch,
    Member,
    MemberPairing,
    OneTimePassword,
    OrganisationChange,
    Pairing,
    PersonalDataAccess,
    RetiredToken,
    SubmissionKey,
)
from tests import factories

MODELS = [Committee, Branch, Member, Pairing, MemberPairing, CommitteeStaff]
# Records written by the product itself, shown read-only.
RECORD_MODELS = [
    RetiredToken,
    OneTimePassword,
    OrganisationChange,
    ImportBatch,
    SubmissionKey,
    PersonalDataAccess,
]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def filled(org):
    """The org tree plus a member and a pairing, so every changelist has rows."""
    office = factories.make_branch(org.town, kind=BranchKind.GOVERNMENT_OFFICE, name="综合办党支部")
    Pairing.objects.create(office_branch=office, village_branch=org.branch, year=2026)
    clerk = factories.make_member(office, name="周明")
    MemberPairing.objects.create(member=clerk, village_branch=org.branch, year=2026)
    factories.make_member(org.branch, name="李荣花", phone="13900000000")
    return org


def test_every_branches_model_is_registered():
    models = list(apps.get_app_config("branches").get_models())
    assert set(MODELS + RECORD_MODELS) == set(models)
    assert all(admin.site.is_registered(model) for model in models)


@pytest.mark.django_db
@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda model: model.__name__)
def test_record_changelist_renders_and_offers_no_add(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_changelist_renders(admin_client, filled, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_add_page_renders(admin_client, db, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_change_page_renders(admin_client, filled, model):
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_committee_changelist_shows_depth_and_parent(admin_client, org):
    response = admin_client.get(admin_url(Committee, "changelist"))
    rows = {c.name: (c.parent, c.depth) for c in response.context["cl"].result_list}
    assert rows["示范区党工委"] == (None, 1)
    assert rows["姬石镇党委"] == (org.district, 2)


def test_committee_change_page_has_staff_inline(admin_client, org):
    response = admin_client.get(admin_url(Committee, "change", org.district.pk))
    inline_models = [f.opts.model for f in response.context["inline_admin_formsets"]]
    assert inline_models == [CommitteeStaff]
    assert org.district_staff.username in response.text


def test_committee_cannot_be_moved_under_its_own_child(admin_client, org):
    data = {
        "name": org.district.name,
        "kind": org.district.kind,
        "parent": org.town.pk,
        "staff-TOTAL_FORMS": "0",
        "staff-INITIAL_FORMS": "0",
    }

    response = admin_client.post(admin_url(Committee, "change", org.district.pk), data)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["parent"]
    org.district.refresh_from_db()
    assert org.district.parent is None


def test_branch_changelist_counts_active_members(admin_client, org):
    factories.make_member(org.branch)
    factories.make_member(org.branch)
    factories.make_member(org.branch, is_active=False)

    response = admin_client.get(admin_url(Branch, "changelist"), {"q": "范寨村"})

    [branch] = response.context["cl"].result_list
    assert branch.member_count == 2


def test_member_phone_is_in_the_change_form_but_not_the_list(admin_client, org):
    member = factories.make_member(
        org.branch,
        phone="13900000000",
        is_exempt=True,
        exemption_reason=ExemptionReason.OLD_AGE,
    )

    changelist = admin_client.get(admin_url(Member, "changelist"))
    change = admin_client.get(admin_url(Member, "change", member.pk))

    assert "13900000000" not in changelist.text
    assert change.context["adminform"].form["phone"].value() == "13900000000"


def test_member_public_token_is_shown_but_not_editable(admin_client, org):
    member = factories.make_member(org.branch)

    response = admin_client.get(admin_url(Member, "change", member.pk))

    assert "public_token" not in response.context["adminform"].form.fields
    assert member.public_token in response.text


@pytest.mark.parametrize("model", [Member, Branch], ids=lambda model: model.__name__)
def test_changelist_runs_a_fixed_number_of_queries(
    admin_client, org, model, django_assert_max_num_queries
):
    for _ in range(30):
        branch = factories.make_branch(org.town, secretary=factories.make_user())
        factories.make_member(branch)

    with django_assert_max_num_queries(6):
        response = admin_client.get(admin_url(model, "changelist"))

    assert len(response.context["cl"].result_list) >= 30
