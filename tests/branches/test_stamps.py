"""The public change stamps' cached copies (branches.stamps): dropped inside the change,
renewed when it commits, filled by readers without overwriting a commit, and never
drifting from the database."""

import datetime

import pytest
from django.core.cache import cache
from django.db.models import Max

from branches import stamps
from branches.models import Branch
from branches.stamps import branch_stamp, read_stamps, scope_stamp
from tests import factories

pytestmark = pytest.mark.django_db

COPY = "public-stamp:"


def _copy(name):
    return cache.get(COPY + name)


def _all_names(org):
    names = [branch_stamp(branch.pk) for branch in Branch.objects.all()]
    paths = {""} | {org.district.path, org.town.path, org.other_town.path}
    return names + [scope_stamp(path) for path in paths]


def _fresh_from_database(name):
    if name.startswith("b:"):
        return Branch.objects.get(pk=int(name[2:])).public_changed_at
    branches = Branch.objects.filter(committee__path__startswith=name[2:])
    return branches.aggregate(newest=Max("public_changed_at"))["newest"]


def test_a_change_drops_the_copies_at_once_and_sets_them_when_it_commits(
    org, django_capture_on_commit_callbacks
):
    read_stamps([branch_stamp(org.branch.pk), scope_stamp(org.town.path), scope_stamp()])
    assert _copy(branch_stamp(org.branch.pk)) is not None

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Branch.objects.filter(pk=org.branch.pk).mark_public_changed()
        # Inside the change: no copy, so readers take the committed stamp from the database.
        assert _copy(branch_stamp(org.branch.pk)) is None
        assert _copy(scope_stamp(org.town.path)) is None
        assert _copy(scope_stamp()) is None
    for callback in callbacks:
        callback()

    org.branch.refresh_from_db()
    assert _copy(branch_stamp(org.branch.pk)) == org.branch.public_changed_at
    # A scope's stamp is an aggregate: read afresh by the next reader.
    assert _copy(scope_stamp(org.town.path)) is None


def test_the_stamps_of_other_branches_and_scopes_are_kept(org):
    names = [branch_stamp(org.far_branch.pk), scope_stamp(org.other_town.path)]
    read_stamps(names)

    Branch.objects.filter(pk=org.branch.pk).mark_public_changed()

    assert all(_copy(name) is not None for name in names)


def test_a_reader_filling_a_copy_never_overwrites_the_value_a_commit_set(
    org, django_capture_on_commit_callbacks
):
    name = branch_stamp(org.branch.pk)
    old = org.branch.public_changed_at
    with django_capture_on_commit_callbacks(execute=True):
        Branch.objects.filter(pk=org.branch.pk).mark_public_changed()
    committed = _copy(name)

    # A reader that read the old stamp before the commit fills its copy late.
    stamps_read, _entries = read_stamps([name], known={name: old})
    cache.add(COPY + name, old, stamps.STAMP_SECONDS)

    assert committed > old
    assert stamps_read[name] == committed
    assert _copy(name) == committed


def test_a_missing_copy_is_read_from_the_database_and_kept(
    org, django_assert_num_queries, django_capture_on_commit_callbacks
):
    names = [branch_stamp(org.branch.pk), branch_stamp(org.far_branch.pk), scope_stamp()]
    with django_assert_num_queries(2):  # the branches together, and the scope
        first, _ = read_stamps(names)
    with django_assert_num_queries(0):
        second, _ = read_stamps(names)

    assert first == second
    assert first[scope_stamp()] == Branch.objects.aggregate(m=Max("public_changed_at"))["m"]


def test_a_reader_needing_an_entry_that_is_not_cached_spares_the_database(
    org, django_assert_num_queries
):
    with django_assert_num_queries(0):
        found, entries = read_stamps(
            [branch_stamp(org.branch.pk)], also=["no-such-page"], needs="no-such-page"
        )
    assert found is None
    assert entries == {}


def test_an_unknown_branch_has_the_epoch(db):
    found, _ = read_stamps([branch_stamp(987654)])
    assert found[branch_stamp(987654)] == stamps.EPOCH


def _changes(org):
    """Every kind of write that stamps a branch, one after another."""
    from pledges.services.progress import progress_record_create

    member = factories.make_member(org.branch, name="改名前")
    yield
    member.name = "改名后"
    member.save()
    yield
    org.other_branch.village = "姬石村"
    org.other_branch.public_changed_at = datetime.datetime.now(datetime.UTC)
    org.other_branch.save()
    yield
    Branch.objects.filter(committee=org.town).mark_public_changed()
    yield
    pledge = factories.walk_to(
        factories.make_pledge(org.far_branch),
        "in_progress",
        secretary=org.far_branch.secretary,
        staff=org.other_town_staff,
    )
    yield
    progress_record_create(
        pledge=pledge,
        actor=org.far_branch.secretary,
        happened_on=datetime.date.today(),
        description="修好了",
    )
    yield


def test_the_copies_never_drift_from_the_database(org, django_capture_on_commit_callbacks):
    names = _all_names(org)
    for _step in _changes(org):
        # Readers between changes fill the copies, as scans do.
        read_stamps(names)
        with django_capture_on_commit_callbacks(execute=True):
            pass
        for name in names:
            copy = _copy(name)
            assert copy is None or copy == _fresh_from_database(name), name
    with django_capture_on_commit_callbacks(execute=True):
        Branch.objects.all().mark_public_changed()
    found, _ = read_stamps(names)
    assert found == {name: _fresh_from_database(name) for name in names}


@pytest.mark.redis
def test_a_change_through_one_worker_shows_through_another_at_once(
    redis_cache, org, client, django_capture_on_commit_callbacks
):
    """On the shared cache: a worker that has the page cached (and its route remembered)
    serves the change on its next request, without any query to notice it."""
    from django.urls import reverse

    from pledges.public.caching import forget_routes_in_worker
    from pledges.services.progress import progress_record_create

    member = factories.make_member(org.branch, name="共享缓存党员")
    pledge = factories.walk_to(
        factories.make_pledge(member=member),
        "in_progress",
        secretary=org.secretary,
        staff=org.district_staff,
    )
    url = reverse("public:by_token", args=[member.public_token])
    assert client.get(url).status_code == 200
    # Another worker: its own remembered routes, the same Redis.
    forget_routes_in_worker()
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        progress_record_create(
            pledge=pledge,
            actor=org.secretary,
            happened_on=datetime.date.today(),
            description="另一台服务器上记录的进展",
        )

    org.branch.refresh_from_db()
    assert redis_cache.get(COPY + branch_stamp(org.branch.pk)) == org.branch.public_changed_at
    assert "另一台服务器上记录的进展" in client.get(url).content.decode()
