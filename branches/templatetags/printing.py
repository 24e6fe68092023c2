"""Filters of the printed pages (manuals, letters)."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def css_string(value) -> str:
    """A value as a quoted CSS string, safe inside a <style> element: quotes and backslashes
    escaped, line breaks and "<" as CSS escapes (so no "</style>" can end the element)."""
    text = str(value)
    escaped = []
    for character in text:
        if character in '"\\':
            escaped.append("\\" + character)
        elif character in "<>&" or ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\{ord(character):x} ")
        else:
            escaped.append(character)
    return mark_safe('"' + "".join(escaped) + '"')
