"""{% id_url "app:name" pk %}: the address of an object's page, for tables of many rows
(branches.http.id_url reverses each name once)."""

from django import template

from branches.http import id_url as _id_url

register = template.Library()


@register.simple_tag
def id_url(name: str, pk: int) -> str:
    return _id_url(name, pk)
