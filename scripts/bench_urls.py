"""The site's URLs with two for the benchmark in front (served by bench_wsgi:application
only, never by the site itself):

  /bench/ok           a trivial view: "ok", no query, through the whole middleware stack;
  /bench/clear-cache  empties this worker's cache (its own in the per-process cache, the
                      shared one in Redis) and answers the worker's process id, after
                      ?hold=S seconds (at most 1), so that requests sent together reach
                      every worker before a cold measurement.
"""

import os
import time

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path

import config.urls


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


def clear_cache(request):
    cache.clear()
    # Held a moment, so that requests sent together reach different workers.
    time.sleep(min(float(request.GET.get("hold", 0)), 1.0))
    return HttpResponse(str(os.getpid()), content_type="text/plain")


urlpatterns = [
    path("bench/ok", ok),
    path("bench/clear-cache", clear_cache),
    *config.urls.urlpatterns,
]
