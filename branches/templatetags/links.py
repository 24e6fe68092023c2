"""{% id_url "app:name" pk %}: the address of an object's page, for tables of many rows;
{% fixed_url "app:name" %}: the address of a page without an object's id, for the
navigation of every page (branches.http.id_url and fixed_url reverse each name once)."""

from django import template

from branches.http import fixed_url as _fixed_url
from branches.http import id_url as _id_url

register = template.Library()


@register.simple_tag
def id_url(name: str, pk: int) -> str:
    return _id_url(name, pk)


@register.simple_tag
def fixed_url(name: str, *args) -> str:
    return _fixed_url(name, *args)
