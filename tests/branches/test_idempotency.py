"""Idempotent form submissions (branches.idempotency): a form that writes carries a
one-time key, and the same submission arriving again is answered as the first was and
carried out no second time."""

import datetime
import io
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from PIL import Image

from branches.enums import Gender
from branches.idempotency import (
    FIELD_NAME,
    KEEP_DAYS,
    SubmissionKeyMiddleware,
    purge_expired,
)
from branches.models import Member, SubmissionKey
from pledges.enums import NeedCategory, NeedSource, PledgeStatus, Urgency
from pledges.models import Feedback, Need, Pledge, ProgressRecord
from reviews.models import MonthlyReport, QuarterlyBriefing, QuarterlyReview
from tests import factories
from tests.racing import race

ROOT = Path(__file__).resolve().parents[2]
KEY_FIELD = re.compile(r'<input type="hidden" name="submission_key" value="([0-9a-f-]{36})">')
REPLAYED = "这张表单已经提交过，没有再次处理。"


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    """Photos go to a temporary folder; the feedback limits count in the cache."""
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


def keyed(data: dict, key=None) -> dict:
    return {**data, FIELD_NAME: str(key or uuid.uuid4())}


def walked(org, status, **extra):
    pledge = factories.make_pledge(branch=org.branch, **extra)
    return factories.walk_to(pledge, status, secretary=org.secretary, staff=org.town_staff)


def jpeg(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def redirected_to(response) -> str:
    return response["Location"]


# ---------------------------------------------------------------------------
# The forms that create rows, each ready to be sent
# ---------------------------------------------------------------------------


@dataclass
class Form:
    """A form that writes: who sends it, where, what (a new dict each time, uploads
    included), the rows it makes, what it refuses, and where a replay goes given the
    first answer."""

    who: str
    url: str
    data: Callable[[], dict]
    rows: Callable[[], int]
    bad: Callable[[], dict] | None = None
    replay_to: Callable = redirected_to
    # Two submissions with different keys make two rows (no rule of the form's own
    # already allows only one).
    repeatable: bool = True


NEED = {
    "description": "四组路灯不亮",
    "category": NeedCategory.INFRASTRUCTURE,
    "source": NeedSource.SYMPOSIUM,
    "raised_by": "四组村民张喜民",
    "urgency": Urgency.HIGH,
    "village": "",
}


def need_form(org) -> Form:
    return Form(
        who="secretary",
        url=reverse("pledges:need_add", args=[org.branch.pk]),
        data=lambda: dict(NEED),
        rows=Need.objects.count,
        bad=lambda: {**NEED, "description": ""},
    )


def pledge_form(org) -> Form:
    due = timezone.localdate() + datetime.timedelta(days=10)
    data = {
        "member": "",
        "title": "给村东生产路树木浇水",
        "content": "每次浇透，旱季加一次。",
        "beneficiaries": "沿路农户",
        "category": "environment",
        "year": str(due.year),
        "due_date": due.isoformat(),
        "rhythm": "",
        "action": "submit",
        "nodes-TOTAL_FORMS": "3",
        "nodes-INITIAL_FORMS": "0",
        "nodes-MIN_NUM_FORMS": "0",
        "nodes-MAX_NUM_FORMS": "60",
        "nodes-0-due_on": due.isoformat(),
        "nodes-0-description": "浇第一遍",
    }
    return Form(
        who="secretary",
        url=reverse("pledges:pledge_add", args=[org.branch.pk]),
        data=lambda: dict(data),
        rows=Pledge.objects.count,
        bad=lambda: {**data, "title": ""},
    )


def progress_form(org) -> Form:
    pledge = walked(org, PledgeStatus.IN_PROGRESS)
    text = {"happened_on": timezone.localdate().isoformat(), "description": "组织党员浇水"}
    return Form(
        who="secretary",
        url=reverse("pledges:progress_add", args=[pledge.pk]),
        data=lambda: {**text, "photos": [jpeg("one.jpg"), jpeg("two.jpg")]},
        rows=ProgressRecord.objects.count,
        bad=lambda: {
            **text,
            "photos": [jpeg("one.jpg"), SimpleUploadedFile("two.jpg", b"text", "image/jpeg")],
        },
    )


def public_feedback_form(org) -> Form:
    pledge = walked(org, PledgeStatus.PUBLISHED)
    return Form(
        who="anonymous",
        url=reverse("public:feedback_submit", args=[pledge.pk]),
        data=lambda: {"rating": "satisfied", "comment": "浇得很及时"},
        rows=Feedback.objects.count,
        bad=lambda: {"rating": "", "comment": "浇得很及时"},
        # The thank-you page is shown once; a replay goes to the pledge's page.
        replay_to=lambda response: reverse("public:pledge_page", args=[pledge.pk]),
        # One rating per pledge, address and day.
        repeatable=False,
    )


def recorded_feedback_form(org) -> Form:
    pledge = walked(org, PledgeStatus.PUBLISHED)
    data = {"rating": "satisfied", "comment": "", "gathered_at": "入户走访"}
    return Form(
        who="secretary",
        url=reverse("pledges:pledge_feedback", args=[pledge.pk]),
        data=lambda: dict(data),
        rows=Feedback.objects.count,
        bad=lambda: {**data, "gathered_at": ""},
    )


def quarterly_review_form(org) -> Form:
    year = timezone.localdate().year
    pledge = walked(org, PledgeStatus.IN_PROGRESS, year=year)
    prefix = f"p{pledge.pk}"
    data = {f"{prefix}-rating": "fairly_good", f"{prefix}-on_schedule": "no"}
    return Form(
        who="town_staff",
        url=reverse("reviews:quarterly_review", args=[pledge.pk, year, 1]),
        data=lambda: {**data, f"{prefix}-comment": "进度偏慢"},
        rows=QuarterlyReview.objects.count,
        bad=lambda: {**data, f"{prefix}-rating": ""},
        # One review per pledge and quarter, rewritten.
        repeatable=False,
    )


def briefing_form(org) -> Form:
    year = timezone.localdate().year
    data = {"summary": "两项承诺按计划推进", "member_comments": "加快进度"}
    return Form(
        who="secretary",
        url=reverse("reviews:briefing", args=[org.branch.pk, year, 1]),
        data=lambda: {**data, "held_on": f"{year}-03-28"},
        rows=QuarterlyBriefing.objects.count,
        bad=lambda: {**data, "summary": ""},
        repeatable=False,
    )


def monthly_report_form(org) -> Form:
    member = factories.make_member(org.branch, name="李荣花")
    month = timezone.localdate()
    return Form(
        who="secretary",
        url=reverse(
            "reviews:monthly_member", args=[org.branch.pk, month.year, month.month, member.pk]
        ),
        data=lambda: {"service_done": "打扫村委会院子", "problems": "", "next_steps": ""},
        rows=MonthlyReport.objects.count,
        # One report per member and month, rewritten.
        repeatable=False,
    )


def member_form(org) -> Form:
    data = {
        "name": "王新来",
        "gender": Gender.MALE,
        "birth_year": "1968",
        "joined_on": "1995-07-01",
        "phone": "139-0000 0000",
    }
    return Form(
        who="secretary",
        url=reverse("branches:member_add", args=[org.branch.pk]),
        data=lambda: dict(data),
        rows=Member.objects.count,
        bad=lambda: {**data, "name": ""},
    )


def account_form(org) -> Form:
    data = {"full_name": "张三", "username": "zhangsan", "committee": org.town.pk}
    return Form(
        who="district_organiser",
        url=reverse("branches:org_account_add", args=["review_staff"]),
        data=lambda: dict(data),
        rows=get_user_model().objects.count,
        bad=lambda: {**data, "username": ""},
        # The one-time password is shown once; a replay goes to the account in the list.
        replay_to=lambda response: reverse("branches:org_accounts") + "?q=zhangsan",
        # A username is taken once.
        repeatable=False,
    )


FORMS = {
    "need": need_form,
    "pledge": pledge_form,
    "progress_with_photos": progress_form,
    "public_feedback": public_feedback_form,
    "recorded_feedback": recorded_feedback_form,
    "quarterly_review": quarterly_review_form,
    "briefing": briefing_form,
    "monthly_report": monthly_report_form,
    "member": member_form,
    "account": account_form,
}
REFUSING = [name for name in FORMS if name != "monthly_report"]


@pytest.fixture
def form_of(org, client_as):
    """form_of("need") → (the Form, a client signed in as its sender)."""

    def build(name):
        form = FORMS[name](org)
        return form, client_as(form.who)

    return build


@pytest.mark.parametrize("name", FORMS)
def test_same_key_twice_carries_out_once_and_answers_where_the_first_went(form_of, name):
    form, client = form_of(name)
    before = form.rows()
    data = keyed(form.data())

    first = client.post(form.url, data)
    again = client.post(form.url, keyed(form.data(), data[FIELD_NAME]))

    assert first.status_code in (200, 302), first.content.decode()[:2000]
    assert form.rows() == before + 1
    assert (again.status_code, again["Location"]) == (303, form.replay_to(first))
    assert SubmissionKey.objects.count() == 1


@pytest.mark.parametrize("name", FORMS)
def test_two_keys_are_two_submissions(form_of, name):
    form, client = form_of(name)
    before = form.rows()

    client.post(form.url, keyed(form.data()))
    client.post(form.url, keyed(form.data()))

    assert form.rows() == before + (2 if form.repeatable else 1)


@pytest.mark.parametrize("name", FORMS)
def test_a_form_without_a_key_is_carried_out_as_before(form_of, name):
    form, client = form_of(name)
    before = form.rows()

    response = client.post(form.url, form.data())

    assert response.status_code in (200, 302)
    assert form.rows() == before + 1
    assert SubmissionKey.objects.count() == 0


@pytest.mark.parametrize("name", REFUSING)
def test_a_refused_form_does_not_use_up_its_key(form_of, name):
    form, client = form_of(name)
    before = form.rows()
    key = uuid.uuid4()

    refused = client.post(form.url, keyed(form.bad(), key))
    assert refused.status_code in (200, 400)
    assert (form.rows(), SubmissionKey.objects.count()) == (before, 0)
    # Drawn again with a new key of its own, never the one just sent.
    assert str(key) not in refused.content.decode()

    accepted = client.post(form.url, keyed(form.data(), key))
    assert accepted.status_code in (200, 302)
    assert form.rows() == before + 1


def test_the_replay_says_it_was_not_carried_out_again(form_of):
    form, client = form_of("need")
    data = keyed(form.data())
    client.post(form.url, data, follow=True)

    page = client.post(form.url, data, follow=True)

    assert REPLAYED in page.content.decode()
    assert Need.objects.count() == 1


def test_the_public_replay_reads_no_session_and_sets_no_cookie(form_of):
    form, client = form_of("public_feedback")
    data = keyed(form.data())
    client.post(form.url, data)

    again = client.post(form.url, data)

    assert again.status_code == 303
    assert "Cookie" not in again.get("Vary", "")
    assert not again.cookies


def test_the_same_key_with_other_content_is_another_submission(form_of):
    form, client = form_of("need")
    key = uuid.uuid4()

    client.post(form.url, keyed(form.data(), key))
    second = client.post(form.url, keyed({**form.data(), "description": "五组路灯也不亮"}, key))

    assert second.status_code == 302
    assert sorted(Need.objects.values_list("description", flat=True)) == [
        "五组路灯也不亮",
        "四组路灯不亮",
    ]


def test_the_same_key_with_other_photos_is_another_submission(form_of):
    form, client = form_of("progress_with_photos")
    key = uuid.uuid4()
    client.post(form.url, keyed(form.data(), key))

    other = {**form.data(), "photos": [jpeg("one.jpg"), jpeg("three.jpg")]}
    client.post(form.url, keyed(other, key))

    assert ProgressRecord.objects.count() == 2


def test_the_same_key_from_another_person_is_their_own_submission(org, form_of):
    form, client = form_of("quarterly_review")
    data = keyed(form.data())
    client.post(form.url, data)
    other = Client()
    other.force_login(org.district_staff)

    response = other.post(form.url, data, follow=True)

    assert REPLAYED not in response.content.decode()
    assert SubmissionKey.objects.count() == 2


@pytest.mark.parametrize("key", ["", "not-a-key", "1" * 37, str(uuid.uuid4()) + "0"])
def test_a_malformed_key_is_ignored(form_of, key):
    form, client = form_of("need")

    client.post(form.url, {**form.data(), FIELD_NAME: key})
    client.post(form.url, {**form.data(), FIELD_NAME: key})

    assert (Need.objects.count(), SubmissionKey.objects.count()) == (2, 0)


def test_a_signed_out_post_keeps_no_key(org, form_of):
    """Its answer is the sign-in page, which must not stand for the form once the person
    has signed in and sends it again."""
    form, client = form_of("need")
    client.logout()
    data = keyed(form.data())

    signed_out = client.post(form.url, data)
    assert signed_out["Location"].startswith(reverse("login"))
    assert SubmissionKey.objects.count() == 0

    client.force_login(org.secretary)
    assert client.post(form.url, data).status_code == 302
    assert Need.objects.count() == 1


def test_an_error_rolls_back_the_writes_and_the_key(form_of, monkeypatch):
    """A request that fails before its commit (an error, a worker killed) leaves nothing:
    the person's retry is carried out."""
    from pledges.services import needs

    form, client = form_of("need")
    real = needs.need_create

    def create_then_fail(**arguments):
        real(**arguments)
        raise RuntimeError("worker lost")

    monkeypatch.setattr(needs, "need_create", create_then_fail)
    client.raise_request_exception = False
    data = keyed(form.data())

    assert client.post(form.url, data).status_code == 500
    assert (Need.objects.count(), SubmissionKey.objects.count()) == (0, 0)

    monkeypatch.setattr(needs, "need_create", real)
    assert client.post(form.url, data).status_code == 302
    assert Need.objects.count() == 1


def test_a_refusal_answered_by_redirect_does_not_burn_the_key(org, client_as):
    """A move refused on the pledge page redirects back with the reason: nothing was carried
    out, so the same form sent again, once the cause is gone, is tried again."""
    pledge = walked(org, PledgeStatus.DRAFT)
    url = reverse("pledges:pledge_move", args=[pledge.pk, "approve"])
    client = client_as("town_staff")
    data = keyed({})

    first = client.post(url, data)
    assert first.status_code == 302
    assert not SubmissionKey.objects.exists()
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DRAFT

    pledge.submit(org.secretary)
    again = client.post(url, data)

    assert again.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.APPROVED
    assert SubmissionKey.objects.count() == 1


def test_a_refused_move_sent_again_is_refused_again_not_replayed(org, client_as):
    pledge = walked(org, PledgeStatus.DRAFT)
    url = reverse("pledges:pledge_move", args=[pledge.pk, "approve"])
    client = client_as("secretary")
    data = keyed({})

    first = client.post(url, data)
    again = client.post(url, data)

    assert (first.status_code, again.status_code) == (302, 302)
    assert not SubmissionKey.objects.exists()


def test_a_signed_out_redirect_to_sign_in_is_not_kept(org, client):
    pledge = walked(org, PledgeStatus.DRAFT)
    url = reverse("pledges:pledge_move", args=[pledge.pk, "submit"])

    response = client.post(url, keyed({}))

    assert response.status_code == 302
    assert not SubmissionKey.objects.exists()


# ---------------------------------------------------------------------------
# Keeping the table small
# ---------------------------------------------------------------------------


def test_purge_drops_only_submissions_older_than_the_keeping_time(db):
    now = timezone.now()
    for days, digest in ((KEEP_DAYS + 1, "old"), (KEEP_DAYS - 1, "recent")):
        SubmissionKey.objects.create(
            digest=digest, path="/", created_at=now - datetime.timedelta(days=days)
        )

    assert purge_expired(now=now) == 1
    assert list(SubmissionKey.objects.values_list("digest", flat=True)) == ["recent"]


def test_a_stored_submission_purges_the_expired_ones(form_of):
    form, client = form_of("need")
    old = timezone.now() - datetime.timedelta(days=KEEP_DAYS + 1)
    SubmissionKey.objects.create(digest="old", path="/", created_at=old)

    client.post(form.url, keyed(form.data()))

    assert not SubmissionKey.objects.filter(digest="old").exists()
    assert SubmissionKey.objects.count() == 1


# ---------------------------------------------------------------------------
# The forms carry their keys
# ---------------------------------------------------------------------------


def _form_pages(org) -> dict:
    """Pages of forms that create rows: (who, URL, how many keyed forms at least)."""
    year = timezone.localdate().year
    month = timezone.localdate()
    in_progress = walked(org, PledgeStatus.IN_PROGRESS, year=year)
    member = factories.make_member(org.branch, name="李荣花")
    return {
        "need_add": ("secretary", reverse("pledges:need_add", args=[org.branch.pk]), 1),
        "pledge_add": ("secretary", reverse("pledges:pledge_add", args=[org.branch.pk]), 1),
        "progress_add": ("secretary", reverse("pledges:progress_add", args=[in_progress.pk]), 1),
        "pledge_detail": (
            "secretary",
            reverse("pledges:pledge_detail", args=[in_progress.pk]),
            1,
        ),
        "recorded_feedback": (
            "secretary",
            reverse("pledges:pledge_feedback", args=[in_progress.pk]),
            1,
        ),
        "quarterly_review": (
            "town_staff",
            reverse("reviews:quarterly_review", args=[in_progress.pk, year, 1]),
            1,
        ),
        "quarterly": ("town_staff", reverse("reviews:quarterly", args=[year, 1]), 2),
        "briefing": ("secretary", reverse("reviews:briefing", args=[org.branch.pk, year, 1]), 1),
        "monthly_member": (
            "secretary",
            reverse(
                "reviews:monthly_member", args=[org.branch.pk, month.year, month.month, member.pk]
            ),
            1,
        ),
        "monthly_report": (
            "secretary",
            reverse("reviews:monthly_report_month", args=[org.branch.pk, month.year, month.month]),
            1,
        ),
        "member_add": ("secretary", reverse("branches:member_add", args=[org.branch.pk]), 1),
        "account_add": (
            "district_organiser",
            reverse("branches:org_account_add", args=["review_staff"]),
            1,
        ),
        "committee_add": ("district_organiser", reverse("branches:org_committee_add"), 1),
        "branch_add": ("district_organiser", reverse("branches:org_branch_add"), 1),
        "pairings": ("district_organiser", reverse("branches:org_pairings"), 2),
        "import_upload": (
            "district_organiser",
            reverse("branches:org_import_index", args=["members"]),
            1,
        ),
    }


FORM_PAGES = [
    "need_add",
    "pledge_add",
    "progress_add",
    "pledge_detail",
    "recorded_feedback",
    "quarterly_review",
    "quarterly",
    "briefing",
    "monthly_member",
    "monthly_report",
    "member_add",
    "account_add",
    "committee_add",
    "branch_add",
    "pairings",
    "import_upload",
]


@pytest.mark.parametrize("page", FORM_PAGES)
def test_each_form_page_draws_a_new_key_per_form_and_per_drawing(org, client_as, page):
    who, url, forms = _form_pages(org)[page]
    client = client_as(who)

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == 200
    keys = KEY_FIELD.findall(first.content.decode())
    assert len(keys) >= forms
    assert len(set(keys)) == len(keys)
    assert not set(keys) & set(KEY_FIELD.findall(second.content.decode()))


def test_the_public_pledge_page_leaves_the_key_to_the_browser(org, client):
    pledge = walked(org, PledgeStatus.PUBLISHED)

    text = client.get(reverse("public:pledge_page", args=[pledge.pk])).content.decode()

    assert '<input type="hidden" name="submission_key" value="" data-submission-key>' in text
    assert "js/submission-key.js" in text
    assert KEY_FIELD.search(text) is None


def test_the_tag_draws_a_fresh_version_4_key():
    template = Template("{% submission_key %}{% submission_key %}")

    keys = KEY_FIELD.findall(template.render(Context()))

    assert len(set(keys)) == 2
    assert all(uuid.UUID(key).version == 4 for key in keys)


# Forms that carry no key, by template (and, where a template holds other forms too, by
# the address the form posts to), and why.
KEYLESS = {
    # Signing in and out, and one's own password: nothing is created; a sign-in sent
    # again is a sign-in attempt like any other (the lockout counts it), and a password
    # form's content must never be part of a digest.
    "templates/registration/login.html": None,
    "templates/registration/password_change_form.html": None,
    "templates/base.html": "logout",
    # A reset sent again issues a password the person can see, which is what someone whose
    # first answer was lost needs.
    "templates/branches/organisation/account_list.html": "org_account_reset_password",
    # The back office is Django's admin, with its own forms.
    "templates/admin/pledges/pledge/move_reason.html": None,
}


def _keyless_forms() -> list[str]:
    """Every form in the templates whose CSRF token is not followed by its key."""
    missing = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for rest in line.split("{% csrf_token %}")[1:]:
                if rest.startswith("{% submission_key %}"):
                    continue
                if name in KEYLESS and (KEYLESS[name] is None or KEYLESS[name] in line):
                    continue
                missing.append(f"{name}:{number}")
    return missing


def test_every_form_that_writes_carries_a_key():
    assert _keyless_forms() == []


# ---------------------------------------------------------------------------
# Placement
# ---------------------------------------------------------------------------


def test_no_middleware_below_the_key_middleware_checks_requests_before_views():
    """The key middleware runs the view itself from process_view: one below it would never
    see a keyed request before its view."""
    names = settings.MIDDLEWARE
    here = names.index("branches.idempotency.SubmissionKeyMiddleware")
    assert names.index("django.middleware.csrf.CsrfViewMiddleware") < here
    assert names.index("django.contrib.auth.middleware.AuthenticationMiddleware") < here
    assert names.index("branches.middleware.OneTimePasswordMiddleware") < here
    below = [name for name in names[here + 1 :] if hasattr(import_string(name), "process_view")]
    assert below == []
    assert SubmissionKeyMiddleware.__name__ in names[here]


# ---------------------------------------------------------------------------
# Two sendings at once
# ---------------------------------------------------------------------------


# The service each raced form calls, slowed down so that the two sendings overlap.
SERVICES = {
    "need": ("pledges.services.needs", "need_create"),
    "progress_with_photos": ("pledges.views.practice", "progress_record_create"),
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", SERVICES)
@pytest.mark.parametrize("rounds", range(3))
def test_the_same_submission_twice_at_once_is_carried_out_once(org, monkeypatch, name, rounds):
    form = FORMS[name](org)
    module, attribute = SERVICES[name]
    service = import_string(f"{module}.{attribute}")

    def slow_service(**arguments):
        written = service(**arguments)
        time.sleep(0.3)  # the twin arrives while this is being carried out
        return written

    monkeypatch.setattr(import_module(module), attribute, slow_service)
    data = keyed(form.data())
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(getattr(org, form.who))
        clients.append(client)

    def send(client):
        # Uploads are read once: each sending gets files of its own, with the same bytes.
        return client.post(form.url, {**form.data(), FIELD_NAME: data[FIELD_NAME]})

    outcomes = race([lambda c=c: send(c) for c in clients])

    assert sorted(o.status_code for o in outcomes) == [302, 303], outcomes
    assert outcomes[0]["Location"] == outcomes[1]["Location"]
    assert form.rows() == 1
    assert SubmissionKey.objects.count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_browser_fills_in_the_key_of_a_shared_page(org, live_server, page):
    pledge = walked(org, PledgeStatus.PUBLISHED)
    page.goto(live_server.url + reverse("public:pledge_page", args=[pledge.pk]))

    key = page.locator("input[data-submission-key]").input_value()
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评议").click()
    page.get_by_role("heading", name="感谢您的评议").wait_for()

    assert uuid.UUID(key).version == 4
    assert Feedback.objects.count() == 1
    assert list(SubmissionKey.objects.values_list("user", "path")) == [
        (None, reverse("public:feedback_submit", args=[pledge.pk]))
    ]
