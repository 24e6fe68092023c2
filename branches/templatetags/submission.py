"""`{% submission_key %}`: the one-time key of a form that writes (branches.idempotency).

A builtin of the template engine (settings.TEMPLATES), so templates use it without
`{% load %}`: put it right after `{% csrf_token %}`.
"""

import uuid

from django import template
from django.utils.html import format_html

from branches.idempotency import FIELD_NAME

register = template.Library()


@register.simple_tag
def submission_key(shared: bool = False) -> str:
    """The hidden field with a new key each time the form is drawn, a form drawn again with
    its errors included: that submission carried nothing out, and one key per drawing keeps
    two forms of one page from ever sharing a key.

    `shared=True` on a page cached and served alike to everyone (the public pages): the
    field is left empty, for the browser to fill in (static/js/submission-key.js); without
    script the form is sent without a key, as before."""
    if shared:
        return format_html(
            '<input type="hidden" name="{}" value="" data-submission-key>', FIELD_NAME
        )
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD_NAME, uuid.uuid4())
