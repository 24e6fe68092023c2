from django import template

from branches.names import person_name

register = template.Library()

# A person's name as written in Chinese, surname first; the username when unnamed.
register.filter("person_name", person_name)
