"""The WSGI applications that scripts/bench_public.py serves with gunicorn
(`--pythonpath scripts`):

  bench_wsgi:raw_app      a plain WSGI callable answering "ok": no Django, the ceiling of
                          gunicorn itself on this machine;
  bench_wsgi:application  the whole site with the app's own settings and middleware, its
                          URLs extended by bench_urls (a trivial view and a cache reset).

The Django application is built only when asked for (the module's __getattr__), so the
raw server imports no Django at all.
"""

import os

_RAW_BODY = b"ok"
_RAW_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_RAW_BODY)))]


def raw_app(environ, start_response):
    """A WSGI callable answering 200 "ok" to every request."""
    start_response("200 OK", _RAW_HEADERS)
    return [_RAW_BODY]


def _django_application():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    # The site's URLs plus the bench's own: the app's settings otherwise unchanged.
    settings.ROOT_URLCONF = "bench_urls"
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def __getattr__(name):
    if name == "application":
        application = _django_application()
        globals()["application"] = application
        return application
    raise AttributeError(name)
