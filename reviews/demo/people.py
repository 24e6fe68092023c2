"""Party members of one branch: names, ages, phones, exemptions."""

import datetime
import random

from branches.enums import BranchKind, ExemptionReason, Gender
from branches.models import Member
from reviews.demo import plan as shape
from reviews.demo import vocabulary as words

# Share of men among members, by branch kind (villages' members are mostly older men).
MALE_SHARE = {
    BranchKind.VILLAGE: 0.72,
    BranchKind.HEALTH_CENTRE: 0.35,
    BranchKind.SCHOOL: 0.4,
}
# Ages (youngest, most common, oldest) by branch kind.
AGES = {
    BranchKind.VILLAGE: (26, 62, 92),
    BranchKind.FLOATING: (24, 38, 58),
}
OFFICE_AGES = (24, 42, 60)
# Members aged 75 and over in villages: this share of them cannot pledge any more.
OLD_AGE_EXEMPT_SHARE = 0.6
ILLNESS_SHARE = 0.01
AWAY_SHARE = 0.008
# Members struck off (moved away, died): kept with their history, no longer active.
INACTIVE_SHARE = 0.008

# The article's members, by branch: name, gender, age. The first is the secretary.
NAMED_MEMBERS = {
    shape.FANZHAI: [("王彦军", Gender.MALE, 52)],
    shape.JISHI_VILLAGE: [
        ("姬红军", Gender.MALE, 55),
        ("李荣花", Gender.FEMALE, 58),
        ("姬国胜", Gender.MALE, 74),
    ],
}
# 姬石村: 64 members, 42 pledged, the rest old members without capacity to pledge.
JISHI_VILLAGE_EXEMPT = 22


class NameDrawer:
    """Draws Chinese names, unique within one branch."""

    def __init__(self, rng: random.Random, clan_surname: str = ""):
        self.rng = rng
        self.clan_surname = clan_surname
        self.taken: set[str] = set()

    def draw(self, gender: str) -> str:
        for _attempt in range(50):
            name = self._candidate(gender)
            if name not in self.taken:
                self.taken.add(name)
                return name
        return name  # a rare duplicate, as in real villages

    def reserve(self, name: str) -> None:
        self.taken.add(name)

    def _candidate(self, gender: str) -> str:
        rng = self.rng
        if self.clan_surname and rng.random() < 0.4:
            surname = self.clan_surname
        else:
            surname = rng.choices(words.SURNAMES, words.SURNAME_WEIGHTS)[0]
        pool = words.MALE_GIVEN if gender == Gender.MALE else words.FEMALE_GIVEN
        length = 1 if rng.random() < 0.2 else 2
        return surname + "".join(rng.choice(pool) for _ in range(length))


def phone_number(rng: random.Random) -> str:
    return f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"


def branch_members(rng: random.Random, branch_plan, year: int) -> list[Member]:
    """The members of one branch as unsaved Member rows (branch to be set), secretary first.

    Named branches get the article's people; 姬石村 gets exactly 22 exempt old members.
    """
    names = NameDrawer(rng, branch_plan.clan_surname)
    members = []
    for name, gender, age in NAMED_MEMBERS.get(branch_plan.key, []):
        names.reserve(name)
        members.append(_member(rng, name, gender, year - age, year))
    exempt_quota = JISHI_VILLAGE_EXEMPT if branch_plan.key == shape.JISHI_VILLAGE else 0
    for _ in range(exempt_quota):
        gender = Gender.MALE if rng.random() < 0.7 else Gender.FEMALE
        birth_year = year - rng.randint(76, 93)
        member = _member(rng, names.draw(gender), gender, birth_year, year)
        _exempt(rng, member, ExemptionReason.OLD_AGE)
        members.append(member)
    is_named_branch = branch_plan.key in NAMED_MEMBERS
    while len(members) < branch_plan.member_count:
        gender = (
            Gender.MALE if rng.random() < MALE_SHARE.get(branch_plan.kind, 0.6) else Gender.FEMALE
        )
        youngest, mode, oldest = AGES.get(branch_plan.kind, OFFICE_AGES)
        age = round(rng.triangular(youngest, oldest, mode))
        if branch_plan.key == shape.JISHI_VILLAGE:
            age = min(age, 72)  # its old members are the exempt ones above
        member = _member(rng, names.draw(gender), gender, year - age, year)
        if not exempt_quota:
            _maybe_exempt_or_inactive(rng, member, age, is_named_branch=is_named_branch)
        members.append(member)
    return members


def _member(rng, name, gender, birth_year, year) -> Member:
    joined_year = min(birth_year + rng.randint(19, 45), year - 1)
    joined_on = datetime.date(joined_year, rng.randint(1, 12), rng.randint(1, 28))
    return Member(
        name=name,
        gender=gender,
        birth_year=birth_year,
        joined_on=joined_on,
        phone=phone_number(rng) if year - birth_year < 80 or rng.random() < 0.5 else "",
        public_token="",  # drawn by the builder from its own seeded generator
    )


def _exempt(rng: random.Random, member: Member, reason: str) -> None:
    member.is_exempt = True
    member.exemption_reason = reason
    member.exemption_note = rng.choice(words.EXEMPTION_NOTES[reason])


def _maybe_exempt_or_inactive(rng, member: Member, age: int, *, is_named_branch: bool) -> None:
    draw = rng.random()
    if age >= 75 and draw < OLD_AGE_EXEMPT_SHARE:
        _exempt(rng, member, ExemptionReason.OLD_AGE)
    elif draw < ILLNESS_SHARE:
        _exempt(rng, member, ExemptionReason.ILLNESS)
    elif draw < ILLNESS_SHARE + AWAY_SHARE:
        _exempt(rng, member, ExemptionReason.AWAY)
    elif draw > 1 - INACTIVE_SHARE and not is_named_branch:
        member.is_active = False
