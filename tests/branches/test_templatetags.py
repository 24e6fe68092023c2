import pytest

from branches.templatetags.people import person_name
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("last_name", "first_name", "expected"),
    [("王", "彦军", "王彦军"), ("", "", "wangyj"), ("欧阳", "修", "欧阳修")],
)
def test_person_name_puts_the_surname_first(last_name, first_name, expected):
    user = factories.make_user("wangyj", last_name=last_name, first_name=first_name)
    assert person_name(user) == expected


def test_person_name_of_nobody_is_empty():
    assert person_name(None) == ""
