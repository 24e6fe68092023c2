"""How a person's name is written: surname first, as Chinese writes it. Accounts keep
the surname in `last_name` and the given name in `first_name`."""


def surname_first(user) -> str:
    """The account's name, surname first; empty when it has none."""
    return f"{user.last_name}{user.first_name}".strip()


def person_name(user) -> str:
    """The name for staff pages: surname first, else the login name; empty for no one."""
    if user is None:
        return ""
    return surname_first(user) or user.get_username()
