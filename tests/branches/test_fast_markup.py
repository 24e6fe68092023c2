"""LongSelect writes the same select as Django's, in one pass; id_url gives what reverse() gives."""

import re

import pytest
from django import forms

from branches.forms.fields import LongSelect

CHOICES = [("", "全部党支部"), (1, "范寨村党支部"), (2, '<b>姬石村</b> & "新"'), (30, "远村")]


def _form(widget, data):
    class Filter(forms.Form):
        branch = forms.TypedChoiceField(
            label="党支部", coerce=int, required=False, choices=CHOICES, widget=widget
        )

    return Filter(data)


def _squeezed(html: str) -> tuple[set[str], str]:
    """The select's attributes (in any order) and its options."""
    html = re.sub(r">\s+<", "><", str(html)).strip()
    opening, options = html.split(">", 1)
    return set(re.findall(r'[\w-]+="[^"]*"', opening)), options


@pytest.mark.parametrize("chosen", ["", "1", "2", "30", "999"])
def test_long_select_writes_what_djangos_select_writes(chosen):
    ours = _form(LongSelect, {"branch": chosen})
    django_own = _form(forms.Select, {"branch": chosen})

    assert _squeezed(ours["branch"]) == _squeezed(django_own["branch"])
    assert "<b>" not in str(ours["branch"])


def test_long_select_keeps_the_attributes_the_form_gives(db):
    form = _form(LongSelect, {"branch": "abc"})
    form.is_valid()

    html = str(form["branch"])

    assert 'id="id_branch"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize(
    ("name", "pk"),
    [("pledges:branch_detail", 1), ("pledges:members", 53), ("pledges:branch_pledges", 10**12)],
)
def test_id_url_is_what_reverse_gives(name, pk):
    from django.urls import reverse

    from branches.http import id_url

    assert id_url(name, pk) == reverse(name, args=[pk])


def test_id_url_follows_the_script_prefix():
    from django.urls import reverse, set_script_prefix

    from branches.http import id_url

    try:
        set_script_prefix("/pledgewall/")
        assert id_url("pledges:members", 7) == reverse("pledges:members", args=[7])
        assert id_url("pledges:members", 7).startswith("/pledgewall/")
    finally:
        set_script_prefix("/")
