"""`{{ day|cn_date }}` and `{{ moment|cn_datetime }}`: what `|date:"Y年n月j日"` and
`|date:"Y年n月j日 H:i"` write, for lists of many rows.

Django's `date` filter looks its format up among the locale's format modules on every
call (a format of its own is never cached) and then parses it: on a list of thirty rows
that is more than the rest of a row. These formats hold no name of a month or a day, so
their text is the same in every language; datetimes are shown in the current time zone,
as with `date`.
"""

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def cn_date(value) -> str:
    """As `|date:"Y年n月j日"`; empty for no date."""
    if value in (None, ""):
        return ""
    try:
        return f"{value.year:04d}年{value.month}月{value.day}日"
    except AttributeError:
        return ""


@register.filter(expects_localtime=True)
def cn_datetime(value) -> str:
    """As `|date:"Y年n月j日 H:i"`; empty for no datetime."""
    if value in (None, ""):
        return ""
    try:
        return f"{value.year:04d}年{value.month}月{value.day}日 {value.hour:02d}:{value.minute:02d}"
    except AttributeError:
        return ""
