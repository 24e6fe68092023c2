"""The shape of the demo organisation: committees, branches and their sizes.

The first district is the article's: 漯河市城乡一体化示范区党工委 with 姬石镇, 老窝镇,
机关事业党委 and 两新组织党委, 53 branches, the named ones with their real sizes. At
--scale N > 1 it is joined by N - 1 replica districts of the same shape, named after
Henan counties, under a province root.
"""

import random
from dataclasses import dataclass, field

from branches.enums import BranchKind, CommitteeKind
from reviews.demo import vocabulary as words

ROOT_NAME = "漯河市城乡一体化示范区党工委"
PROVINCE_NAME = "中共河南省委（演示）"
JISHI_TOWN = "姬石镇党委"

# Places of the article: replica districts never reuse them.
ARTICLE_PLACES = ("范寨", "姬石", "老窝")

# Keys of the branches the article names; the builder gives them their real content.
FANZHAI = "fanzhai"
JISHI_VILLAGE = "jishicun"
GENERAL_OFFICE = "general_office"

# The members of one district: "1600余名党员". Replicas vary around it.
ARTICLE_MEMBER_TOTAL = 1618
REPLICA_MEMBER_TOTAL = (1560, 1660)

# Members per branch by kind, before the district total is matched.
MEMBERS_BY_KIND = {
    BranchKind.VILLAGE: (28, 40),
    BranchKind.HEALTH_CENTRE: (10, 16),
    BranchKind.SCHOOL: (15, 28),
    BranchKind.GOVERNMENT_OFFICE: (12, 30),
    BranchKind.NON_PUBLIC_ENTERPRISE: (8, 15),
    BranchKind.SOCIAL_ORGANISATION: (6, 10),
    BranchKind.ENTERPRISE: (15, 25),
    BranchKind.FLOATING: (12, 20),
}


@dataclass
class CommitteePlan:
    key: str
    name: str
    kind: str
    parent_key: str | None


@dataclass
class BranchPlan:
    key: str
    name: str
    kind: str
    committee_key: str
    village: str = ""
    member_count: int = 0
    # Named branches keep their real size; the others absorb the district's rounding.
    fixed_size: bool = False
    # Villages are often one clan's: 范寨 is mostly 范, 姬石 mostly 姬.
    clan_surname: str = ""


@dataclass
class DistrictPlan:
    index: int
    area: str
    committees: list[CommitteePlan]
    branches: list[BranchPlan]
    # (office branch key, village branch key): 结对共建 for the demo year.
    pairings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_article_district(self) -> bool:
        return self.index == 0


def district_plans(scale: int) -> list[DistrictPlan]:
    return [district_plan(index) for index in range(scale)]


def county_name(index: int) -> str:
    """The replica district `index` (1-based) is named after a Henan county."""
    county = words.COUNTIES[(index - 1) % len(words.COUNTIES)]
    lap = (index - 1) // len(words.COUNTIES)
    return county if lap == 0 else f"{county}（{lap + 1}）"


def district_plan(index: int) -> DistrictPlan:
    rng = random.Random(f"pledgewall-demo-plan:{index}")
    plan = _article_district() if index == 0 else _replica_district(rng, index)
    _size_branches(rng, plan)
    _pair_offices(rng, plan)
    return plan


def _article_district() -> DistrictPlan:
    area = "示范区"
    committees = [
        CommitteePlan("root", ROOT_NAME, CommitteeKind.WORKING_COMMITTEE, None),
        CommitteePlan("town_a", JISHI_TOWN, CommitteeKind.TOWN, "root"),
        CommitteePlan("town_b", "老窝镇党委", CommitteeKind.TOWN, "root"),
        CommitteePlan("organs", "机关事业党委", CommitteeKind.ORGANS, "root"),
        CommitteePlan("new_orgs", "两新组织党委", CommitteeKind.NEW_ORGANISATIONS, "root"),
    ]
    branches = [
        BranchPlan(FANZHAI, "范寨村党支部", BranchKind.VILLAGE, "town_a", "范寨村", 71, True, "范"),
        BranchPlan(
            JISHI_VILLAGE, "姬石村党支部", BranchKind.VILLAGE, "town_a", "姬石村", 64, True, "姬"
        ),
    ]
    branches += _town_branches("town_a", "姬石镇", words.JISHI_VILLAGES, with_office=True)
    branches += _town_branches("town_b", "老窝镇", words.LAOWO_VILLAGES, with_office=False)
    branches.append(
        BranchPlan(
            GENERAL_OFFICE, "示范区党政综合办公室党支部", BranchKind.GOVERNMENT_OFFICE, "organs"
        )
    )
    branches += _organ_and_new_branches(area, head="姬")
    return DistrictPlan(0, area, committees, branches)


def _replica_district(rng: random.Random, index: int) -> DistrictPlan:
    area = county_name(index)
    root_name = f"中共{area}委员会"
    town_names = _distinct_places(rng, 2, suffix="")
    committees = [
        CommitteePlan("root", root_name, CommitteeKind.OTHER, None),
        CommitteePlan("town_a", f"{town_names[0]}镇党委", CommitteeKind.TOWN, "root"),
        CommitteePlan("town_b", f"{town_names[1]}镇党委", CommitteeKind.TOWN, "root"),
        CommitteePlan("organs", f"{area}机关事业党委", CommitteeKind.ORGANS, "root"),
        CommitteePlan("new_orgs", f"{area}两新组织党委", CommitteeKind.NEW_ORGANISATIONS, "root"),
    ]
    villages = _distinct_places(rng, 34, suffix="村")
    branches = _town_branches("town_a", f"{town_names[0]}镇", villages[:18], with_office=True)
    branches += _town_branches("town_b", f"{town_names[1]}镇", villages[18:], with_office=False)
    branches.append(
        BranchPlan("office_0", f"{area}委办公室党支部", BranchKind.GOVERNMENT_OFFICE, "organs")
    )
    branches += _organ_and_new_branches(area, head=rng.choice(words.PLACE_HEADS))
    return DistrictPlan(index, area, committees, branches)


def _town_branches(
    committee_key: str, town: str, villages: list[str], *, with_office: bool
) -> list[BranchPlan]:
    branches = [
        BranchPlan(
            f"{committee_key}_village_{number}",
            f"{village}党支部",
            BranchKind.VILLAGE,
            committee_key,
            village,
            clan_surname=village[0] if village[0] in words.SURNAMES else "",
        )
        for number, village in enumerate(villages)
    ]
    branches.append(
        BranchPlan(
            f"{committee_key}_health",
            f"{town}卫生院党支部",
            BranchKind.HEALTH_CENTRE,
            committee_key,
        )
    )
    branches.append(
        BranchPlan(
            f"{committee_key}_school", f"{town}中心学校党支部", BranchKind.SCHOOL, committee_key
        )
    )
    if with_office:
        branches.append(
            BranchPlan(
                f"{committee_key}_office",
                f"{town}机关党支部",
                BranchKind.GOVERNMENT_OFFICE,
                committee_key,
            )
        )
    return branches


def _organ_and_new_branches(area: str, *, head: str) -> list[BranchPlan]:
    branches = [
        BranchPlan(
            f"office_{number + 1}",
            template.format(area=area),
            BranchKind.GOVERNMENT_OFFICE,
            "organs",
        )
        for number, template in enumerate(words.OFFICES)
    ]
    branches.append(
        BranchPlan("organs_school", f"{area}实验学校党支部", BranchKind.SCHOOL, "organs")
    )
    branches += [
        BranchPlan(f"new_org_{number}", template.format(area=area, head=head), kind, "new_orgs")
        for number, (kind, template) in enumerate(words.NEW_ORGANISATIONS)
    ]
    return branches


def _distinct_places(rng: random.Random, count: int, *, suffix: str) -> list[str]:
    """`count` different two-character place names such as 李集 or 孙庄, never one of
    the article's (范寨 and 姬石 exist once, in the article's district)."""
    pool = [
        head + tail
        for head in words.PLACE_HEADS
        for tail in words.PLACE_TAILS
        if head + tail not in ARTICLE_PLACES
    ]
    return [name + suffix for name in rng.sample(pool, count)]


def _size_branches(rng: random.Random, plan: DistrictPlan) -> None:
    """Give every branch a member count, then match the district total exactly."""
    for branch in plan.branches:
        if not branch.fixed_size:
            branch.member_count = rng.randint(*MEMBERS_BY_KIND[branch.kind])
    target = (
        ARTICLE_MEMBER_TOTAL if plan.is_article_district else rng.randint(*REPLICA_MEMBER_TOTAL)
    )
    adjustable = [b for b in plan.branches if not b.fixed_size and b.kind == BranchKind.VILLAGE]
    difference = target - sum(branch.member_count for branch in plan.branches)
    step = 1 if difference > 0 else -1
    for turn in range(abs(difference)):
        adjustable[turn % len(adjustable)].member_count += step


def _pair_offices(rng: random.Random, plan: DistrictPlan) -> None:
    """Every government office branch pairs with a village branch (结对共建)."""
    offices = [b for b in plan.branches if b.kind == BranchKind.GOVERNMENT_OFFICE]
    villages = [b for b in plan.branches if b.kind == BranchKind.VILLAGE]
    if plan.is_article_district:
        plan.pairings.append((GENERAL_OFFICE, FANZHAI))
        offices = [b for b in offices if b.key != GENERAL_OFFICE]
        villages = [b for b in villages if b.key != FANZHAI]
    for office, village in zip(offices, rng.sample(villages, len(offices)), strict=True):
        plan.pairings.append((office.key, village.key))
