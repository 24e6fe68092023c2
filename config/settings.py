"""Settings for Pledgewall (双承诺).

One module for every environment: production differs only through the
environment variables read below (see README, "Configuration").
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(a long random string), or set DEBUG=1 for local development."
        )
    # Development only: a fixed key is harmless while DEBUG is on.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Serves static files through whitenoise in development too (runserver).
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # django-csp: its system checks of CONTENT_SECURITY_POLICY.
    "csp",
    # django-axes: failed sign-ins counted in the database (see "Sign-in lockout").
    "axes",
    # django-dbbackup: the database connectors and backup storage of `backup` and `restore`.
    "dbbackup",
    "branches",
    "pledges",
    "reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header on every response (see "Content Security Policy").
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 400 page for control characters (NUL…) in a query string or form, before any view.
    "branches.middleware.ControlCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store for signed-in people, workspace pages and downloads.
    "branches.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A person signed in with a one-time password sets their own first (needs messages).
    "branches.middleware.OneTimePasswordMiddleware",
    # A form carrying a one-time key is carried out once (branches.idempotency). It runs the
    # view itself: no middleware below it may have a process_view.
    "branches.idempotency.SubmissionKeyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a sign-in refused by the lockout into the sign-in page with its message. Last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "branches.context_processors.workspace",
            ],
            # {% submission_key %} in every form that writes, without {% load %}.
            "builtins": ["branches.templatetags.submission"],
        },
    },
]

# ---------------------------------------------------------------------------
# Database and cache
# ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections with health checks: the largest single speed gain on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT: the staff pages' aggregates pass its cost threshold at province scale, and
    # compiling them took 80–200 ms more than it saved (EXPLAIN ANALYZE, scale 100).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a lock instead of failing at once when two requests write together.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Production: a Redis shared by every worker (CACHE_URL=redis://host:6379/0, Django's own
# RedisCache). The rate limits and the public page cache live here; in the default, per-process
# cache each worker counts on its own (`check --deploy` warns of it, pledgewall.W001).
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same, keeping its redis-py client between calls (config/redis_cache.py).
    CACHES["default"]["BACKEND"] = "config.redis_cache.RedisCache"
CACHE_IS_SHARED = CACHES["default"]["BACKEND"] not in {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    # The default keeps 300 entries: a district's 1,600 member pages, their routes and
    # stamps need far more, or nearly every scan renders. About 50 MB per worker at most.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 20_000)
# Sessions: read from the shared cache and written through to the database, so a signed-in
# page spends no query on its session. Only with a shared cache: in a per-process one, a
# session ended in one worker (sign-out) would live on in the others' copies.
# Django's own engines, with the read of a session in plain SQL (branches.sessions).
SESSION_ENGINE = "branches.sessions.cached_db" if CACHE_IS_SHARED else "branches.sessions.db"

# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------------------
# Sign-in lockout (django-axes; see branches.signin)
# ---------------------------------------------------------------------------
# The lockout check comes first; it lets through checks without a request (commands, tests).
AUTHENTICATION_BACKENDS = [
    "branches.signin.SignInLockoutBackend",
    # Django's ModelBackend, reading a signed-in person with their roles in one query. (A
    # session begun under django.contrib.auth's own backend signs in again, once.)
    "branches.signin.UserWithRolesBackend",
]
# Failures are counted in the database, shared by every worker and server.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Failed sign-ins to one account from one address before that pair is locked out.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Minutes a locked-out account waits at that address, from its last counted failure.
_axes_cooloff_minutes = env.int("AXES_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or _axes_cooloff_minutes < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be at least 1.")
AXES_COOLOFF_TIME = timedelta(minutes=_axes_cooloff_minutes)
# Per account and address together: a guesser cannot lock a person out from everywhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The same client address as the rest of the site (PUBLIC_CLIENT_ADDRESS_HEADER).
AXES_CLIENT_IP_CALLABLE = "branches.signin.client_ip_address"
# The sign-in page with a Chinese message, instead of axes's English text.
AXES_LOCKOUT_CALLABLE = "branches.signin.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Tries while locked out do not extend the lockout: it ends when the page said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Successful sign-ins are not stored: the lockout needs only the failures.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner or per-sign-in chatter from axes (a nightly cron job would mail it):
# branches.signin logs every failed, locking and refused sign-in itself.
AXES_VERBOSE = False

# ---------------------------------------------------------------------------
# Language and time
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# One interface language for everyone, whatever a browser asks for: a half-translated
# page would serve no one. Another language is added here together with its catalogue.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------
# Static and uploaded files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Photos one process decodes at once (pledges.photos; up to about 100 MB each): more threads
# of a worker wait their turn.
PHOTO_DECODE_CONCURRENCY = env.int("PHOTO_DECODE_CONCURRENCY", default=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names and compressed copies in production; plain files while DEBUG is on,
        # so a missing collectstatic never breaks development or tests.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# ---------------------------------------------------------------------------
# Public side
# ---------------------------------------------------------------------------
# The address printed in QR codes: codes on walls must keep working for years, so this is
# the site's lasting public address (e.g. https://dangjian.example.gov.cn), not a server name.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Behind a proxy, the request header (as in request.META) carrying the client's address,
# set by that proxy alone, e.g. "HTTP_X_REAL_IP" with nginx's proxy_set_header X-Real-IP.
# Empty: REMOTE_ADDR. Used for the public rate limits, the feedback limit and the sign-in
# lockout (branches.signin.client_address).
PUBLIC_CLIENT_ADDRESS_HEADER = env.str("PUBLIC_CLIENT_ADDRESS_HEADER", default="")
# Seconds phones and proxies may reuse a public page before asking again (with its ETag).
PUBLIC_PAGE_MAX_AGE = env.int("PUBLIC_PAGE_MAX_AGE", default=60)

# ---------------------------------------------------------------------------
# Year-end evaluation (年终评议)
# ---------------------------------------------------------------------------
# How the organisation's rating and the served villagers' feedback combine into a pledge's
# result (see reviews.rules): weights of the two, summing to 1.
YEAR_END_ORGANISATION_WEIGHT = env.float("YEAR_END_ORGANISATION_WEIGHT", default=0.6)
YEAR_END_FEEDBACK_WEIGHT = env.float("YEAR_END_FEEDBACK_WEIGHT", default=0.4)

# ---------------------------------------------------------------------------
# Security (production behind a TLS-terminating proxy)
# ---------------------------------------------------------------------------
# The request header (as in request.META) and the value by which the proxy says a request
# came over HTTPS, as "HEADER,value". The proxy must set it on every request, replacing what
# a client sent. Empty when nothing sits in front (then only the connection itself counts).
_proxy_ssl_header = env.tuple(
    "SECURE_PROXY_SSL_HEADER", default=("HTTP_X_FORWARDED_PROTO", "https")
)
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and its value, e.g. "
        "HTTP_X_FORWARDED_PROTO,https (or empty without a proxy)."
    )
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header or None
# Plain-HTTP requests are redirected to HTTPS. Off unless set: development and the test
# suite serve plain HTTP; `check --deploy` warns (W008) while it is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# The load balancer's health check reaches the workers over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Strict-Transport-Security: browsers use only HTTPS for this long once they have seen it.
# Off (0) unless set, since a browser keeps it for its whole lifetime; `check --deploy`
# warns (W004) while it is off. Preload matters only once the domain is submitted to
# the browsers' preload list.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------
# Content Security Policy (django-csp)
# ---------------------------------------------------------------------------
# Everything from this site's own files and nothing else: no inline script, style
# attribute or <style> element anywhere (tests/config/test_headers.py crawls the pages for
# them), no plugins, no framing, forms posting only here. Pages that need more relax it
# per view with csp.decorators, never here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # The printed manuals set their running header (branch and year) in an inline
        # @page rule, allowed by a per-request nonce; django-csp adds the nonce only to a
        # response whose page used it, so every other page keeps style-src 'self'.
        "style-src": [SELF, NONCE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# ---------------------------------------------------------------------------
# Backups (manage.py backup / restore, on django-dbbackup; see README)
# ---------------------------------------------------------------------------
# Where backups of the database and of MEDIA_ROOT are written: never inside MEDIA_ROOT,
# which is served to the public. Copy it off the machine as well.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
# How many backups `backup` keeps, deleting older ones after each new one; 0 keeps all.
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
# Gzip the backup files.
BACKUP_COMPRESS = env.bool("BACKUP_COMPRESS", default=True)
# dbbackup's storage is BACKUP_DIR, so its own commands (listbackups, dbrestore) find them too.
STORAGES["dbbackup"] = {"BACKEND": "branches.backups.BackupDirectoryStorage"}
# SQLite is restored through its online backup API into the open connection, not by writing
# over the database file under running processes.
DBBACKUP_CONNECTOR_MAPPING = {
    "django.db.backends.sqlite3": "branches.backups.SqliteOnlineConnector",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes reports every sign-in and clean-up at INFO; what matters is logged on
    # pledgewall.signin at WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}
