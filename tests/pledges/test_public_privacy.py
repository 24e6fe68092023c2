"""The privacy marker test: every private field is filled with a marker that appears
nowhere else, and no public response (every public address, the retired-code page,
search results, the not-found and too-many-requests pages) may contain any of them."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from branches.models import Pairing, RetiredToken
from pledges import public
from pledges.enums import (
    CommentStatus,
    FeedbackChannel,
    FeedbackRating,
    PledgeStatus,
)
from pledges.models import Feedback, PledgeAmendment, TimeNode
from pledges.public import caching
from pledges.services.progress import progress_record_create
from pledges.workflow import PUBLIC_STATUSES
from tests import factories

S = PledgeStatus
TODAY = timezone.localdate()

# Birth and joining years: numbers no token (no 1 in the alphabet), id or date shows.
BIRTH_YEAR = 1911
JOINED = datetime.date(1917, 3, 4)

# Labels that would betray a private state: pledge statuses before publication or after
# withdrawal, moderation states of comments, an exemption's reason.
PRIVATE_LABELS = ["草稿", "待审核", "退回修改", "审核通过", "已撤销", "已公开", "不公开", "患病"]


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    cache.clear()
    # One renewal period for the whole test: no ETag changes because a period ended.
    monkeypatch.setattr(caching, "page_period", lambda: 1)
    yield
    cache.clear()


def move(pledge, status, org, *, notes=True):
    """Walk the pledge to `status`, secretary and staff in their roles, marker notes on
    every return and withdrawal."""
    sec, staff = pledge.owner_branch.secretary, org.town_staff
    steps = {
        S.DRAFT: [],
        S.SUBMITTED: ["submit"],
        S.RETURNED: ["submit", "return"],
        S.APPROVED: ["submit", "approve"],
        S.PUBLISHED: ["submit", "approve", "publish"],
        S.IN_PROGRESS: ["submit", "approve", "publish", "start"],
        S.COMPLETED: ["submit", "approve", "publish", "start", "complete"],
        S.VERIFIED: ["submit", "approve", "publish", "start", "complete", "verify"],
        S.EVALUATED: ["submit", "approve", "publish", "start", "complete", "verify", "evaluate"],
        S.WITHDRAWN: ["submit", "approve", "publish", "withdraw"],
    }[status]
    for step in steps:
        if step == "return":
            pledge.return_for_revision(staff, reason="mk-return-note")
        elif step == "withdraw":
            pledge.withdraw(staff, reason="mk-withdraw-note")
        elif step in ("submit", "publish", "start", "complete"):
            getattr(pledge, step)(sec)
        else:
            getattr(pledge, step)(staff)
    return pledge


class World:
    """Everything a public page could leak, each with a marker."""


@pytest.fixture
def world(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = World()
    w.markers = [str(BIRTH_YEAR), str(JOINED.year), *PRIVATE_LABELS]

    # People: the secretary's name is public, never a login name or another staff name.
    org.secretary.last_name, org.secretary.first_name = "王", "彦军"
    for who in ("secretary", "other_secretary", "town_staff", "other_town_staff", "district_staff"):
        user = getattr(org, who)
        user.username = f"mk-login-{who.replace('_', '-')}"
        if who not in ("secretary", "other_secretary"):
            user.last_name, user.first_name = f"mk-staff-last-{who}", f"mk-staff-first-{who}"
            w.markers += [user.last_name, user.first_name]
        user.email = f"mk-email-{who}@example.org"
        user.save()
        w.markers += [user.username, user.email]

    def member(name, **extra):
        made = factories.make_member(
            org.branch,
            name=name,
            phone=f"mk-phone-{name}",
            birth_year=BIRTH_YEAR,
            joined_on=JOINED,
            **extra,
        )
        w.markers.append(made.phone)
        return made

    w.shown = member("李荣花")
    w.exempt = member(
        "姬国胜", is_exempt=True, exemption_reason="illness", exemption_note="mk-exempt-note"
    )
    w.hidden = member("隐藏党员", public_page_enabled=False)
    w.inactive = member("已离开党员", is_active=False)
    w.markers += ["mk-exempt-note", w.hidden.public_token]

    # Pledges in every state, of a member and of the branch.
    w.public_pledges, w.private_pledges = [], []
    for status in S:
        for owner in ({"member": w.shown}, {"branch": org.branch}):
            kind = "member" if "member" in owner else "branch"
            pledge = factories.make_pledge(
                **owner,
                title=f"{kind}-{status}-title",
                content=f"{kind}-{status}-content",
                beneficiaries=f"{kind}-{status}-beneficiaries",
            )
            move(pledge, status, org)
            if status in PUBLIC_STATUSES:
                w.public_pledges.append(pledge)
            else:
                w.private_pledges.append(pledge)
                w.markers += [pledge.title, pledge.content, pledge.beneficiaries]
    w.markers += ["mk-return-note", "mk-withdraw-note"]
    hidden = factories.make_pledge(
        member=w.hidden, title="mk-hidden-title", content="mk-hidden-content"
    )
    w.private_pledges.append(move(hidden, S.IN_PROGRESS, org))
    w.markers += ["mk-hidden-title", "mk-hidden-content"]
    w.inactive_pledge = move(
        factories.make_pledge(member=w.inactive, title="巡河"), S.COMPLETED, org
    )
    w.public_pledges.append(w.inactive_pledge)

    # What hangs on a public pledge: a need with who raised it, progress, amendments by
    # staff, feedback in every moderation state, recorded feedback with its place.
    carried = next(p for p in w.public_pledges if p.status == S.IN_PROGRESS and p.member_id)
    need = factories.make_need(
        org.branch, description="mk-need-description", raised_by="mk-need-raiser"
    )
    carried.needs.add(need)
    w.markers += ["mk-need-description", "mk-need-raiser"]
    TimeNode.objects.create(
        pledge=carried, due_on=TODAY, description="节点一", closed_as="done", done_on=TODAY
    )
    progress_record_create(
        pledge=carried, actor=org.secretary, happened_on=TODAY, description="浇水一次"
    )
    PledgeAmendment.objects.create(
        pledge=carried,
        field="content",
        old_value="旧内容",
        new_value="新内容",
        reason="村民建议",
        actor=org.town_staff,
    )
    for number, status in enumerate(CommentStatus):
        if status == CommentStatus.NONE:
            continue
        comment = (
            "approved-comment-ok" if status == CommentStatus.APPROVED else f"mk-{status}-comment"
        )
        Feedback.objects.create(
            pledge=carried,
            rating=FeedbackRating.FAIRLY_SATISFIED,
            comment=comment,
            comment_status=status,
            address_hash=f"mk-address-hash-{number}",
        )
        if status != CommentStatus.APPROVED:
            w.markers.append(comment)
        w.markers.append(f"mk-address-hash-{number}")
    Feedback.objects.create(
        pledge=carried,
        rating=FeedbackRating.DISSATISFIED,
        channel=FeedbackChannel.RECORDED,
        recorded_by=org.town_staff,
        gathered_at="mk-gathered-at",
        comment="mk-recorded-pending",
        comment_status=CommentStatus.PENDING,
    )
    w.markers += ["mk-gathered-at", "mk-recorded-pending"]

    # Codes: one retired, a pairing to another board.
    RetiredToken.objects.create(
        token="RETRDCDE22", member=w.shown, branch=org.branch, retired_by=org.secretary
    )
    office = factories.make_branch(org.town, name="机关党支部", kind="government_office")
    Pairing.objects.create(office_branch=office, village_branch=org.branch, year=TODAY.year)
    w.office = office
    return w


def public_urls(org, w):
    tokens = [
        w.shown.public_token,
        w.exempt.public_token,
        w.hidden.public_token,
        w.inactive.public_token,
        org.branch.public_token,
        org.other_branch.public_token,
        org.far_branch.public_token,
        w.office.public_token,
        "RETRDCDE22",
        "retrdcde22",
        "ZZZZZZZZZZ",
        "ABC",
    ]
    site = reverse("public:district_site")
    return [
        *(reverse("public:by_token", args=[token]) for token in tokens),
        *(reverse("public:pledge_page", args=[p.pk]) for p in w.public_pledges),
        *(reverse("public:pledge_page", args=[p.pk]) for p in w.private_pledges),
        site,
        *(f"{site}?c={c.pk}" for c in (org.district, org.town, org.other_town)),
        f"{site}?c=987654",
        *(
            f"{reverse('public:search')}?q={query}"
            for query in ("李荣", "隐藏", "已离开", "姬国", "范寨", "党员", "彦军", "王彦", "x")
        ),
    ]


def assert_no_marker(url, text, markers):
    found = [marker for marker in markers if marker in text]
    assert not found, f"{url} shows {found}"


def test_public_pages_show_no_private_field(client, org, world):
    pages = 0
    for url in public_urls(org, world):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_no_marker(url, response.content.decode(), world.markers)
        pages += 1
    assert pages > 30


def test_too_many_page_shows_no_private_field(client, org, world):
    for _miss in range(public.MISS_LIMIT):
        client.get(reverse("public:by_token", args=["ZZZZZZZZZZ"]))

    response = client.get(reverse("public:by_token", args=["YYYYYYYYYY"]))

    assert response.status_code == 429
    assert_no_marker("429", response.content.decode(), world.markers)


def test_public_pages_do_show_what_is_public(client, org, world):
    """The marker test above is only worth something if the pages show the rest."""
    member_page = client.get(reverse("public:by_token", args=[world.shown.public_token]))
    text = member_page.content.decode()
    for pledge in world.public_pledges:
        if pledge.member_id == world.shown.pk:
            assert pledge.title in text and pledge.content in text
    assert "浇水一次" in text and "旧内容" in text and "新内容" in text and "村民建议" in text

    board = client.get(reverse("public:by_token", args=[org.branch.public_token]))
    text = board.content.decode()
    assert "支部书记：王彦军" in text
    assert "隐藏党员" in text and "姬国胜" in text
    assert "机关党支部" in text


def test_hidden_member_is_never_linked(client, org, world):
    for url in public_urls(org, world):
        text = client.get(url).content.decode()
        assert not re.search(r"<a [^>]*>\s*隐藏党员", text), url
