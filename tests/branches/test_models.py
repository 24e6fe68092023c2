import pytest
from django.db import IntegrityError, transaction

from branches.enums import BranchKind, ExemptionReason
from branches.models import PATH_SEGMENT_WIDTH, Committee, Pairing
from branches.tokens import TOKEN_ALPHABET, TOKEN_LENGTH, new_public_token
from tests import factories


@pytest.mark.django_db
def test_committee_path_nests_under_its_parent():
    root = factories.make_committee("党工委")
    town = factories.make_committee("镇党委", parent=root)
    village_group = factories.make_committee("片区党委", parent=town)
    assert root.path == f"{root.pk:0{PATH_SEGMENT_WIDTH}x}/"
    assert town.path == root.path + f"{town.pk:0{PATH_SEGMENT_WIDTH}x}/"
    assert village_group.path.startswith(town.path)
    assert (root.depth, town.depth, village_group.depth) == (1, 2, 3)
    assert root.is_ancestor_or_self_of(village_group)
    assert not village_group.is_ancestor_or_self_of(town)


@pytest.mark.django_db
def test_moving_a_committee_reroots_its_whole_subtree():
    root = factories.make_committee("党工委")
    old_parent = factories.make_committee("甲镇党委", parent=root)
    new_parent = factories.make_committee("乙镇党委", parent=root)
    moved = factories.make_committee("片区党委", parent=old_parent)
    grandchild = factories.make_committee("小组", parent=moved)

    moved.parent = new_parent
    moved.save()

    grandchild.refresh_from_db()
    assert moved.path.startswith(new_parent.path)
    assert grandchild.path == moved.path + grandchild.path[-(PATH_SEGMENT_WIDTH + 1) :]
    assert (
        not Committee.objects.filter(path__startswith=old_parent.path)
        .exclude(pk=old_parent.pk)
        .exists()
    )


@pytest.mark.django_db
def test_a_committee_cannot_move_under_its_own_subtree():
    from django.core.exceptions import ValidationError

    root = factories.make_committee("党工委")
    child = factories.make_committee("镇党委", parent=root)
    root.parent = child
    with pytest.raises(ValidationError):
        root.save()


@pytest.mark.django_db
def test_token_has_fixed_length_and_alphabet():
    member = factories.make_member()
    branch = member.branch
    for token in (member.public_token, branch.public_token, new_public_token()):
        assert len(token) == TOKEN_LENGTH
        assert set(token) <= set(TOKEN_ALPHABET)
    assert str(member.pk) != member.public_token


def test_token_alphabet_has_32_symbols_without_look_alikes():
    assert len(set(TOKEN_ALPHABET)) == len(TOKEN_ALPHABET) == 32
    assert not set(TOKEN_ALPHABET) & set("0O1lI")


def test_tokens_do_not_repeat():
    tokens = {new_public_token() for _ in range(20000)}
    assert len(tokens) == 20000


@pytest.mark.django_db
def test_token_is_unique_in_the_database():
    first = factories.make_member()
    second = factories.make_member(branch=first.branch)
    second.public_token = first.public_token
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["short", "x" * (TOKEN_LENGTH - 1)])
def test_database_refuses_a_token_of_another_length(token):
    member = factories.make_member()
    member.public_token = token
    with pytest.raises(IntegrityError), transaction.atomic():
        member.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("is_exempt", "reason", "valid"),
    [
        (False, "", True),
        (True, ExemptionReason.OLD_AGE, True),
        (True, "", False),
        (False, ExemptionReason.ILLNESS, False),
    ],
)
def test_exemption_needs_a_reason(is_exempt, reason, valid):
    branch = factories.make_branch()
    if valid:
        member = factories.make_member(branch, is_exempt=is_exempt, exemption_reason=reason)
        assert member.is_exempt == is_exempt
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            factories.make_member(branch, is_exempt=is_exempt, exemption_reason=reason)


@pytest.mark.django_db
def test_pairing_refuses_the_same_branch_twice():
    branch = factories.make_branch()
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(office_branch=branch, village_branch=branch, year=2026)


@pytest.mark.django_db
def test_pairing_must_be_with_a_village_branch():
    from django.core.exceptions import ValidationError

    office = factories.make_branch(kind=BranchKind.GOVERNMENT_OFFICE)
    school = factories.make_branch(kind=BranchKind.SCHOOL)
    village = factories.make_branch(kind=BranchKind.VILLAGE)
    Pairing(office_branch=office, village_branch=village, year=2026).full_clean()
    with pytest.raises(ValidationError):
        Pairing(office_branch=office, village_branch=school, year=2026).full_clean()
