"""Matching without 系统编号: namesakes asked about rather than guessed, and the full
roster's "take off the roll?" list."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from branches.enums import Gender, ImportRowStatus
from branches.imports.plan import NEW_MEMBER, Choices
from branches.imports.services import apply_plan
from branches.models import Member
from tests import factories
from tests.branches.imports_support import member_row, plan_members_file, xlsx


def test_plan_members_asks_which_of_two_namesakes(org):
    older = factories.make_member(
        org.branch, name="王建国", gender=Gender.MALE, birth_year=1950, phone="13912340000"
    )
    younger = factories.make_member(org.branch, name="王建国", gender=Gender.MALE, birth_year=1980)

    plan = plan_members_file(xlsx([member_row(姓名="王建国", 性别="男", 出生年份=1950)]), org.town)

    row = plan.rows[0]
    assert row.status == ImportRowStatus.AMBIGUOUS
    assert [c.pk for c in row.candidates] == [older.pk, younger.pk]
    assert "139****0000" in row.candidates[0].label
    assert plan.check_choices(Choices()) == [
        "第 2 行（范寨村党支部 · 王建国）：请选择是哪一名党员，或选择“新党员”。"
    ]
    with pytest.raises(ValidationError):
        apply_plan(plan=plan, choices=Choices(), actor=org.town_organiser, filename="a.xlsx")

    apply_plan(
        plan=plan,
        choices=Choices(matches={2: older.pk}),
        actor=org.town_organiser,
        filename="a.xlsx",
    )

    older.refresh_from_db()
    assert (older.phone, older.joined_on) == ("13900001111", datetime.date(1995, 7, 1))
    assert Member.objects.filter(name="王建国").count() == 2


def test_plan_members_asks_about_two_rows_with_one_name(org):
    existing = factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    rows = [
        member_row(姓名="王建国", 性别="男"),
        member_row(姓名="王建国", 性别="男", 出生年份=1990, 入党日期="2015-07-01"),
    ]

    plan = plan_members_file(xlsx(rows), org.town)

    assert [(row.status, [c.pk for c in row.candidates]) for row in plan.rows] == [
        (ImportRowStatus.AMBIGUOUS, [existing.pk]),
        (ImportRowStatus.AMBIGUOUS, [existing.pk]),
    ]
    same = Choices(matches={2: existing.pk, 3: existing.pk})
    assert plan.check_choices(same) == ["第 3 行和第 2 行指向同一名党员：请为其中一行另选。"]

    apply_plan(
        plan=plan,
        choices=Choices(matches={2: existing.pk, 3: NEW_MEMBER}),
        actor=org.town_organiser,
        filename="a.xlsx",
    )

    assert sorted(Member.objects.filter(name="王建国").values_list("birth_year", flat=True)) == [
        1968,
        1990,
    ]


def test_plan_members_takes_a_namesake_without_id_as_new_when_the_other_has_its_id(org):
    existing = factories.make_member(org.branch, name="王建国", gender=Gender.MALE)
    rows = [
        member_row(系统编号=existing.pk, 姓名="王建国", 性别="男"),
        member_row(姓名="王建国", 性别="男"),
    ]

    plan = plan_members_file(xlsx(rows), org.town)

    assert [row.status for row in plan.rows] == [ImportRowStatus.CHANGED, ImportRowStatus.NEW]


def test_plan_members_refuses_one_id_on_two_rows(org):
    member = factories.make_member(org.branch, name="李荣花")

    plan = plan_members_file(xlsx([member_row(系统编号=member.pk)] * 2), org.town)

    assert plan.rows[1].errors == ["第 3 行“系统编号”：与第 2 行的编号相同。"]


def test_plan_members_asks_for_the_committee_of_a_branch_name_held_twice(org):
    factories.make_branch(org.other_town, name="范寨村党支部")

    plan = plan_members_file(
        xlsx([member_row(), member_row(上级党组织="姬石镇党委")]), org.district
    )

    assert plan.rows[0].errors == [
        "第 2 行“党支部”：您管理的范围内有 2 个名为“范寨村党支部”的党支部："
        "请在“上级党组织”列填写所属党委以区分。"
    ]
    assert plan.rows[1].status == ImportRowStatus.NEW


def test_full_roster_offers_missing_members_and_takes_off_only_the_ticked(org):
    kept = factories.make_member(org.branch, name="李荣花")
    ticked = factories.make_member(org.branch, name="离开甲")
    unticked = factories.make_member(org.branch, name="离开乙")
    factories.make_member(org.branch, name="早已不在册", is_active=False)
    factories.make_member(org.other_branch, name="别的支部")
    count = Member.objects.count()

    plan = plan_members_file(xlsx([member_row()]), org.town, full_roster=True)

    assert {entry.pk for entry in plan.roll_off} == {ticked.pk, unticked.pk}
    assert [row.target for row in plan.rows] == [kept.pk]
    apply_plan(
        plan=plan,
        choices=Choices(roll_off={ticked.pk}),
        actor=org.town_organiser,
        filename="a.xlsx",
    )

    assert Member.objects.count() == count
    assert set(Member.objects.filter(is_active=False).values_list("name", flat=True)) == {
        "离开甲",
        "早已不在册",
    }


def test_plan_without_full_roster_offers_no_roll_off(org):
    factories.make_member(org.branch, name="离开甲")

    plan = plan_members_file(xlsx([member_row()]), org.town)

    assert plan.roll_off == []
    assert plan.check_choices(Choices(roll_off={1})) == [
        "所选移出在册的党员不在本次名册的候选名单中。"
    ]
