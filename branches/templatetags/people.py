from django import template

register = template.Library()


@register.filter
def person_name(user) -> str:
    """A person's name as written in Chinese, surname first; the username when unnamed."""
    if user is None:
        return ""
    name = f"{user.last_name}{user.first_name}".strip()
    return name or user.get_username()
