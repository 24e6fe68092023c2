"""{% chart_svg chart %}: the 一图 of pledges.chart, drawn from its figures.

Drawing the chart is several hundred template nodes for a few dozen numbers, and the same
figures come back request after request (a branch's chart moves only when one of its
pledges does): each worker keeps the markup of the charts it drew lately, keyed by every
value the drawing reads, and draws again only for figures it has not seen. The figures
themselves are always counted afresh; only their drawing is remembered.
"""

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from pledges.chart import Chart

register = template.Library()

# Distinct charts remembered per worker: a district's branches and committees.
DRAWINGS_KEPT = 512


def _fingerprint(chart: Chart) -> str:
    # Lazy translations and dates become their text; everything the template reads is in it.
    data = json.dumps(dataclasses.asdict(chart), default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


_drawings: OrderedDict[tuple[str, str], str] = OrderedDict()
_drawings_lock = threading.Lock()


@register.simple_tag
def chart_svg(chart: Chart) -> SafeString:
    """The chart's markup (pledges/chart/_chart.html), drawn once per distinct figures."""
    key = (_fingerprint(chart), translation.get_language())
    with _drawings_lock:  # a threaded server shares the drawings between requests
        markup = _drawings.get(key)
        if markup is not None:
            _drawings.move_to_end(key)
    if markup is None:
        markup = render_to_string("pledges/chart/_chart_drawing.html", {"chart": chart})
        with _drawings_lock:
            _drawings[key] = markup
            while len(_drawings) > DRAWINGS_KEPT:
                _drawings.popitem(last=False)
    return mark_safe(markup)
