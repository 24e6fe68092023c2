import pytest
from django.urls import reverse

from branches.enums import BranchKind
from pledges.enums import NeedCategory
from pledges.focus_areas import FOCUS_AREAS, focus_areas
from pledges.forms.drafting import PledgeForm
from tests import factories


def test_every_branch_kind_has_focus_areas():
    assert set(FOCUS_AREAS) == set(BranchKind.values)
    assert all(focus_areas(kind) for kind in BranchKind.values)


@pytest.mark.parametrize("kind", BranchKind.values)
def test_focus_areas_are_categories_without_repeats(kind):
    areas = FOCUS_AREAS[kind]
    assert len(set(areas)) == len(areas)
    assert set(areas) <= set(NeedCategory.values)


# The article's examples: what each kind of branch pledges first.
@pytest.mark.parametrize(
    ("kind", "first"),
    [
        (BranchKind.HEALTH_CENTRE, NeedCategory.HEALTH_SERVICE),
        (BranchKind.SCHOOL, NeedCategory.EDUCATION_CARE),
        (BranchKind.GOVERNMENT_OFFICE, NeedCategory.PAIRED_ASSISTANCE),
    ],
)
def test_article_branch_kinds_lead_with_their_focus(kind, first):
    assert focus_areas(kind)[0] == first


@pytest.mark.django_db
@pytest.mark.parametrize("kind", BranchKind.values)
def test_pledge_form_offers_the_kinds_focus_areas_first_and_every_category(kind):
    branch = factories.make_branch(kind=kind)
    field = PledgeForm(branch=branch).fields["category"]
    blank, (group_label, focus), (_others_label, others) = field.choices
    assert blank[0] == ""
    assert [value for value, _label in focus] == list(focus_areas(kind))
    assert str(BranchKind(kind).label) in group_label
    assert sorted(value for value, _label in focus + others) == sorted(NeedCategory.values)
    assert str(focus_areas(kind)[0].label) in str(field.help_text)


@pytest.mark.django_db
def test_pledge_page_of_a_health_centre_suggests_health_services(org, client_as):
    org.branch.kind = BranchKind.HEALTH_CENTRE
    org.branch.save()
    response = client_as("secretary").get(reverse("pledges:pledge_add", args=[org.branch.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<optgroup label="卫生院党支部的承诺重点">' in html
    assert html.index('value="health_service"') < html.index('value="industry"')
    assert "卫生院党支部的承诺重点：健康服务、困难群众帮扶。" in html
