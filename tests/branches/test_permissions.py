import pytest

from branches.permissions import (
    can_view_branch,
    is_branch_secretary,
    is_district_staff,
    is_upper_staff,
)
from branches.selectors import (
    branches_in_subtree,
    branches_visible_to,
    committee_subtree,
)
from tests import factories

# who -> (secretary of org.branch, upper staff of org.branch, district staff)
ROLES = {
    "secretary": (True, False, False),
    "other_secretary": (False, False, False),
    "town_staff": (False, True, False),
    "other_town_staff": (False, False, False),
    "district_staff": (False, True, True),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "expected"), ROLES.items())
def test_role_predicates(org, who, expected):
    user = getattr(org, who)
    secretary, upper, district = expected
    assert is_branch_secretary(user, org.branch) == secretary
    assert is_upper_staff(user, org.branch) == upper
    assert is_district_staff(user) == district
    assert can_view_branch(user, org.branch) == (secretary or upper)


@pytest.mark.django_db
def test_anonymous_has_no_role(org):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not can_view_branch(anonymous, org.branch)
    assert list(branches_visible_to(user=anonymous)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("secretary", {"范寨村党支部"}),
        ("other_secretary", {"姬石村党支部"}),
        ("town_staff", {"范寨村党支部", "姬石村党支部"}),
        ("other_town_staff", {"远村党支部"}),
        ("district_staff", {"范寨村党支部", "姬石村党支部", "远村党支部"}),
    ],
)
def test_branches_visible_to_follows_the_subtree(org, who, visible):
    user = getattr(org, who)
    assert {b.name for b in branches_visible_to(user=user)} == visible


@pytest.mark.django_db
def test_subtree_at_any_depth_is_one_query(org, django_assert_num_queries):
    deep = org.town
    for level in range(6):
        deep = factories.make_committee(f"第{level}层", parent=deep)
        factories.make_branch(deep, name=f"第{level}层支部")

    with django_assert_num_queries(1):
        names = {b.name for b in branches_in_subtree(committee=org.town)}
    assert names == {"范寨村党支部", "姬石村党支部"} | {f"第{i}层支部" for i in range(6)}

    with django_assert_num_queries(1):
        committees = list(committee_subtree(committee=org.district))
    assert len(committees) == 3 + 6


@pytest.mark.django_db
def test_staff_paths_are_read_once_per_user(org, django_assert_num_queries):
    user = org.town_staff
    branches = list(branches_in_subtree(committee=org.district).select_related("committee"))
    with django_assert_num_queries(1):
        results = [is_upper_staff(user, branch) for branch in branches]
    assert results.count(True) == 2
