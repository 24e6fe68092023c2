import os
import shutil

import pytest

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip with a reason on SQLite, and fail under REQUIRE_POSTGRES."""
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    if os.environ.get("REQUIRE_POSTGRES") and not on_postgres:
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL.")
    skip = pytest.mark.skip(reason="needs PostgreSQL: .ci/run runs it with DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)

    has_chromium = shutil.which(CHROMIUM) is not None
    if os.environ.get("REQUIRE_BROWSER") and not has_chromium:
        raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is not installed.")
    skip_browser = pytest.mark.skip(
        reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    )
    for item in items:
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(skip_browser)

    redis_url = os.environ.get("REDIS_URL", "")
    if os.environ.get("REQUIRE_REDIS") and not _redis_answers(redis_url):
        raise pytest.UsageError(f"REQUIRE_REDIS is set but Redis at {redis_url!r} does not answer.")
    skip_redis = pytest.mark.skip(reason="needs Redis: .ci/run runs it with REDIS_URL")
    for item in items:
        if "redis" in item.keywords and not redis_url:
            item.add_marker(skip_redis)


def _redis_answers(url: str) -> bool:
    if not url:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache and no remembered page routes: the stamps'
    copies and routes of one test name rows another test's ids may name again."""
    from django.core.cache import cache

    from branches.kept import forget_kept_in_worker
    from pledges.public.caching import forget_routes_in_worker

    cache.clear()
    forget_routes_in_worker()
    forget_kept_in_worker()


@pytest.fixture
def redis_cache(settings):
    """The default cache on the Redis at REDIS_URL (tests marked `redis`), emptied before and
    after: the limits then count across processes as they do behind several workers."""
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def org(db):
    """A small tree: district → town committee → two village branches, plus a second town.

    Users: the secretary of each branch, staff of the town, staff of the other town,
    district staff, and organisation staff of the district and of the town.
    """

    class Org:
        pass

    o = Org()
    o.district = factories.make_committee("示范区党工委", kind="working_committee")
    o.town = factories.make_committee("姬石镇党委", parent=o.district)
    o.other_town = factories.make_committee("老窝镇党委", parent=o.district)
    o.secretary = factories.make_user("fanzhai")
    o.other_secretary = factories.make_user("jishicun")
    o.branch = factories.make_branch(o.town, o.secretary, name="范寨村党支部")
    o.other_branch = factories.make_branch(o.town, o.other_secretary, name="姬石村党支部")
    o.far_branch = factories.make_branch(o.other_town, factories.make_user(), name="远村党支部")
    o.town_staff = factories.make_staff(o.town, factories.make_user("jishi"))
    o.other_town_staff = factories.make_staff(o.other_town, factories.make_user("laowo"))
    o.district_staff = factories.make_staff(o.district, factories.make_user("district"))
    o.district_organiser = factories.make_organiser(o.district, factories.make_user("zuzhi"))
    o.town_organiser = factories.make_organiser(o.town, factories.make_user("jishi_zuzhi"))
    o.anonymous = None
    return o


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The real hasher costs a third of a second per user; tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests run without collectstatic: serve static names unhashed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


# The permission matrix of every object view: who asks, as attribute names of `org`.
ROLES = [
    "secretary",
    "other_secretary",
    "town_staff",
    "other_town_staff",
    "district_staff",
    "anonymous",
]
# The organisation pages' matrix adds organisation staff of the district and of the town.
ORGANISATION_ROLES = [*ROLES, "district_organiser", "town_organiser"]


@pytest.fixture
def client_as(client, org):
    """client_as("secretary") → a test client signed in as that person of `org`
    ("anonymous" → not signed in)."""

    def sign_in(who):
        client.logout()
        if who != "anonymous":
            client.force_login(getattr(org, who))
        return client

    return sign_in


@pytest.fixture
def page(settings, tmp_path):
    """A headless Chromium page on a cheap phone's screen (browser tests)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    settings.MEDIA_ROOT = tmp_path / "media"
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous calls and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        # A cheap phone's screen.
        context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
        context.set_default_timeout(15000)
        yield context.new_page()
        browser.close()
        # Under Playwright the test's ORM calls run in a context of their own, with a
        # connection pytest-django does not know of: close it, or the test database
        # cannot be dropped at the end of the run.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
