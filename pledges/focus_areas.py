"""What each kind of branch pledges first (承诺重点): the focus areas the branch work manual
lists by branch kind, kept here as data so the pledge form, the manuals and any page
read the same table."""

from django.utils.translation import gettext as _

from branches.enums import BranchKind
from pledges.enums import NeedCategory as C

# Most characteristic first. Village and community branches answer the needs list;
# service units pledge what they serve; office branches pledge for the villages they are
# paired with; enterprises pledge jobs and industry.
FOCUS_AREAS: dict[str, tuple[str, ...]] = {
    BranchKind.VILLAGE: (
        C.INDUSTRY,
        C.ENVIRONMENT,
        C.INFRASTRUCTURE,
        C.HOUSEHOLDS_IN_DIFFICULTY,
        C.GRASSROOTS_GOVERNANCE,
    ),
    BranchKind.COMMUNITY: (
        C.GRASSROOTS_GOVERNANCE,
        C.CIVILISED_CITY,
        C.HOUSEHOLDS_IN_DIFFICULTY,
        C.ENVIRONMENT,
    ),
    BranchKind.HEALTH_CENTRE: (C.HEALTH_SERVICE, C.HOUSEHOLDS_IN_DIFFICULTY),
    BranchKind.SCHOOL: (C.EDUCATION_CARE, C.CIVILISED_CITY),
    BranchKind.GOVERNMENT_OFFICE: (
        C.PAIRED_ASSISTANCE,
        C.POVERTY_ALLEVIATION,
        C.INFRASTRUCTURE,
        C.HOUSEHOLDS_IN_DIFFICULTY,
    ),
    BranchKind.NON_PUBLIC_ENTERPRISE: (C.EMPLOYMENT, C.INDUSTRY, C.HOUSEHOLDS_IN_DIFFICULTY),
    BranchKind.SOCIAL_ORGANISATION: (C.HOUSEHOLDS_IN_DIFFICULTY, C.CIVILISED_CITY),
    BranchKind.ENTERPRISE: (C.EMPLOYMENT, C.INDUSTRY, C.POVERTY_ALLEVIATION),
    BranchKind.FLOATING: (C.INDUSTRY, C.EMPLOYMENT, C.BRANCH_BUILDING),
}


def focus_areas(branch_kind: str) -> tuple[C, ...]:
    """The focus areas of a branch kind, most characteristic first."""
    return tuple(C(value) for value in FOCUS_AREAS.get(branch_kind, ()))


def category_choices(branch_kind: str, *, blank_label) -> list:
    """Category choices with the kind's focus areas grouped first, then the others."""
    focus = focus_areas(branch_kind)
    others = [(value, label) for value, label in C.choices if value not in focus]
    if not focus:
        return [("", blank_label), *C.choices]
    return [
        ("", blank_label),
        (_group_label(branch_kind), [(area.value, area.label) for area in focus]),
        (_("其他类别"), others),
    ]


def _group_label(branch_kind: str) -> str:
    return _("%(kind)s党支部的承诺重点") % {"kind": BranchKind(branch_kind).label}
