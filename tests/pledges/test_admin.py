import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from pledges.enums import PledgeMove, PledgeStatus
from pledges.models import (
    Feedback,
    MembersLetter,
    Need,
    Pledge,
    PledgeAmendment,
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
    TimeNodeClosing,
)
from pledges.stored_figures import BranchYearFigures, PledgeTally
from pledges.workflow import MOVES
from tests import factories

S = PledgeStatus
MODELS = [Need, Pledge, TimeNode, ProgressRecord, ProgressPhoto, PledgeTransition]
# Records and counts written by the product itself, shown read-only.
RECORD_MODELS = [
    PledgeAmendment,
    Feedback,
    TimeNodeClosing,
    MembersLetter,
    PledgeTally,
    BranchYearFigures,
]
PLEDGE_CHANGELIST = "/admin/pledges/pledge/"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def run_action(client, move, pledges, **data):
    """Post an action from the changelist, as its action bar does, and follow the redirect."""
    selected = [pledge.pk for pledge in pledges]
    payload = {"action": move, ACTION_CHECKBOX_NAME: selected, "index": 0, **data}
    return client.post(PLEDGE_CHANGELIST, payload, follow=True)


def post_reason(client, move, pledges, reason):
    """Post the reason page back with `apply`, as its form does."""
    selected = [pledge.pk for pledge in pledges]
    payload = {"action": move, ACTION_CHECKBOX_NAME: selected, "apply": "1", "reason": reason}
    return client.post(PLEDGE_CHANGELIST, payload, follow=True)


def status_of(pledge):
    return Pledge.objects.values_list("status", flat=True).get(pk=pledge.pk)


@pytest.fixture
def district_admin(org):
    """A superuser who is also district staff: the workflow lets them make upper moves."""
    user = factories.make_user("district-admin", is_staff=True, is_superuser=True)
    return factories.make_staff(org.district, user)


@pytest.fixture
def district_admin_client(client, district_admin):
    client.force_login(district_admin)
    return client


@pytest.fixture
def walked(org):
    """Put a new pledge of org.branch into a status along the real workflow."""

    def walk(status, **extra):
        pledge = factories.make_pledge(org.branch, **extra)
        return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)

    return walk


@pytest.fixture
def filled(org, walked):
    """One object of every pledges model, so changelists render real rows."""
    need = factories.make_need(org.branch)
    pledge = walked(S.IN_PROGRESS)
    pledge.needs.add(need)
    TimeNode.objects.create(pledge=pledge, due_on=datetime.date(2026, 6, 30), description="打井")
    record = ProgressRecord.objects.create(
        pledge=pledge,
        happened_on=datetime.date(2026, 5, 1),
        description="浇水一次",
        recorded_by=org.secretary,
    )
    ProgressPhoto.objects.create(record=record, image="progress/2026/05/water.jpg")
    factories.make_pledge(member=factories.make_member(org.branch, name="李荣花"))
    return pledge


def test_every_pledges_model_is_registered():
    models = list(apps.get_app_config("pledges").get_models())
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


@pytest.mark.parametrize(
    "model",
    [m for m in MODELS if m not in (PledgeTransition, ProgressPhoto)],
    ids=lambda model: model.__name__,
)
def test_add_page_renders(admin_client, db, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_change_page_renders(admin_client, filled, model):
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_pledge_change_page_shows_status_and_step_but_no_status_field(admin_client, walked):
    pledge = walked(S.PUBLISHED)
    response = admin_client.get(admin_url(Pledge, "change", pledge.pk))
    assert "status" not in response.context["adminform"].form.fields
    assert "已公示" in response.text
    assert "示诺" in response.text


def test_pledge_change_post_cannot_change_status(admin_client, org):
    pledge = factories.make_pledge(org.branch)
    data = {
        "branch": org.branch.pk,
        "member": "",
        "title": "改过的承诺事项",
        "content": "",
        "beneficiaries": "",
        "category": pledge.category,
        "year": "2026",
        "due_date": "2026-12-31",
        "rhythm": "",
        "status": S.APPROVED,
    }
    for prefix in ("time_nodes", "progress_records", "transitions"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = admin_client.post(admin_url(Pledge, "change", pledge.pk), data)

    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.title, pledge.status) == ("改过的承诺事项", S.DRAFT)
    assert not PledgeTransition.objects.filter(pledge=pledge).exists()


@pytest.mark.parametrize(
    ("status", "editable"),
    [(S.DRAFT, True), (S.RETURNED, True), (S.SUBMITTED, False), (S.PUBLISHED, False)],
)
def test_pledge_wording_is_locked_once_submitted(admin_client, walked, status, editable):
    pledge = walked(status)
    response = admin_client.get(admin_url(Pledge, "change", pledge.pk))
    form_fields = response.context["adminform"].form.fields
    assert ("title" in form_fields, "due_date" in form_fields) == (editable, editable)
    assert pledge.title in response.text


def test_pledge_inline_progress_record_is_recorded_by_the_admin_user(admin_client, org, admin_user):
    pledge = factories.make_pledge(org.branch)
    data = {
        "branch": org.branch.pk,
        "title": pledge.title,
        "category": pledge.category,
        "year": "2026",
        "due_date": "2026-12-31",
        "progress_records-TOTAL_FORMS": "1",
        "progress_records-INITIAL_FORMS": "0",
        "progress_records-0-happened_on": "2026-05-01",
        "progress_records-0-description": "浇水一次",
    }
    for prefix in ("time_nodes", "transitions"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = admin_client.post(admin_url(Pledge, "change", pledge.pk), data)

    assert response.status_code == 302
    assert pledge.progress_records.get().recorded_by == admin_user


def test_pledge_changelist_offers_every_move(admin_client, db):
    response = admin_client.get(PLEDGE_CHANGELIST)
    offered = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert offered == ["", "delete_selected", *[move.value for move in MOVES]]


def test_approve_action_moves_submitted_pledges(district_admin_client, walked, district_admin):
    pledges = [walked(S.SUBMITTED), walked(S.SUBMITTED)]

    response = run_action(district_admin_client, "approve", pledges)

    assert response.status_code == 200
    assert messages_of(response) == ["已对 2 项承诺执行“审核通过”。"]
    assert [status_of(pledge) for pledge in pledges] == [S.APPROVED, S.APPROVED]
    audit = PledgeTransition.objects.filter(pledge__in=pledges, move=PledgeMove.APPROVE)
    assert [(row.from_status, row.to_status, row.actor) for row in audit] == [
        (S.SUBMITTED, S.APPROVED, district_admin)
    ] * 2


def test_approve_action_on_a_draft_reports_the_refusal(district_admin_client, walked):
    draft = walked(S.DRAFT, title="改造厕所")

    response = run_action(district_admin_client, "approve", [draft])

    assert response.status_code == 200
    assert messages_of(response) == ["“改造厕所”：当前状态为“草稿”，不能执行“审核通过”。"]
    assert status_of(draft) == S.DRAFT
    assert not PledgeTransition.objects.filter(pledge=draft).exists()


def test_approve_action_reports_each_pledge(district_admin_client, walked):
    submitted, draft = walked(S.SUBMITTED), walked(S.DRAFT, title="改造厕所")

    response = run_action(district_admin_client, "approve", [submitted, draft])

    assert messages_of(response) == [
        "“改造厕所”：当前状态为“草稿”，不能执行“审核通过”。",
        "已对 1 项承诺执行“审核通过”。",
    ]
    assert (status_of(submitted), status_of(draft)) == (S.APPROVED, S.DRAFT)


def test_approve_action_without_a_committee_role_reports_permission_refusal(admin_client, walked):
    submitted = walked(S.SUBMITTED, title="安装监控")

    response = run_action(admin_client, "approve", [submitted])

    assert response.status_code == 200
    assert messages_of(response) == ["“安装监控”：只有上级党组织工作人员可以执行“审核通过”。"]
    assert status_of(submitted) == S.SUBMITTED


def test_withdraw_action_first_asks_for_the_reason(district_admin_client, walked):
    pledge = walked(S.PUBLISHED, title="改造厕所")

    response = run_action(district_admin_client, "withdraw", [pledge])

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/pledges/pledge/move_reason.html"
    assert list(response.context["pledges"]) == [pledge]
    assert "改造厕所" in response.text
    assert "csrfmiddlewaretoken" in response.text
    assert status_of(pledge) == S.PUBLISHED


def test_withdraw_action_applies_with_the_reason(district_admin_client, walked):
    pledge = walked(S.PUBLISHED)

    response = post_reason(district_admin_client, "withdraw", [pledge], "村里已统一改造")

    assert messages_of(response) == ["已对 1 项承诺执行“撤销”。"]
    assert status_of(pledge) == S.WITHDRAWN
    assert pledge.transitions.get(move=PledgeMove.WITHDRAW).note == "村里已统一改造"


@pytest.mark.parametrize("reason", ["", "   "])
def test_withdraw_action_refuses_an_empty_reason(district_admin_client, walked, reason):
    pledge = walked(S.PUBLISHED)

    response = post_reason(district_admin_client, "withdraw", [pledge], reason)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["reason"]
    assert status_of(pledge) == S.PUBLISHED


def test_return_for_revision_action_refusal_on_the_reason_page(district_admin_client, walked):
    draft = walked(S.DRAFT, title="改造厕所")

    response = post_reason(district_admin_client, "return_for_revision", [draft], "内容不具体")

    assert messages_of(response) == ["“改造厕所”：当前状态为“草稿”，不能执行“退回修改”。"]
    assert status_of(draft) == S.DRAFT


def test_transition_admin_offers_no_add_delete_or_actions(admin_client, walked):
    transition = walked(S.SUBMITTED).transitions.get()

    changelist = admin_client.get(admin_url(PledgeTransition, "changelist"))

    assert changelist.context["has_add_permission"] is False
    assert changelist.context["action_form"] is None
    assert admin_client.get(admin_url(PledgeTransition, "add")).status_code == 403
    delete_url = admin_url(PledgeTransition, "delete", transition.pk)
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert PledgeTransition.objects.filter(pk=transition.pk).exists()


def test_transition_change_page_is_read_only(admin_client, walked):
    transition = walked(S.SUBMITTED).transitions.get()
    url = admin_url(PledgeTransition, "change", transition.pk)

    response = admin_client.get(url)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == []
    assert 'name="_save"' not in response.text
    assert admin_client.post(url, {"note": "改过"}).status_code == 403
    transition.refresh_from_db()
    assert transition.note == ""


def test_transition_inline_on_pledge_is_read_only(admin_client, walked):
    pledge = walked(S.APPROVED)

    response = admin_client.get(admin_url(Pledge, "change", pledge.pk))

    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.model is PledgeTransition
    )
    assert (inline.has_add_permission, inline.has_change_permission) == (False, False)
    assert inline.has_delete_permission is False
    assert len(inline.formset.forms) == 2


def test_pledge_changelist_runs_a_fixed_number_of_queries(
    admin_client, org, django_assert_max_num_queries
):
    for index in range(15):
        factories.make_pledge(org.branch, title=f"支部承诺{index}")
        member = factories.make_member(org.other_branch)
        factories.make_pledge(member=member, title=f"党员承诺{index}")

    with django_assert_max_num_queries(9):
        response = admin_client.get(PLEDGE_CHANGELIST)

    assert len(response.context["cl"].result_list) == 30


def test_photos_cannot_be_uploaded_through_the_admin(admin_client, filled):
    """Uploads go through pledges.photos (EXIF stripped); the admin only shows them."""
    assert admin_client.get(admin_url(ProgressPhoto, "add")).status_code == 403
    photo = ProgressPhoto.objects.get()
    response = admin_client.get(admin_url(ProgressPhoto, "change", photo.pk))
    assert response.status_code == 200
    assert "image" not in response.context["adminform"].form.fields
