"""What every write by organisation staff (组织部门管理员) checks first: that the actor keeps
the organisation of the committee it touches, and the input shared by committees and
branches (a name, an open committee to put things under)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from branches.models import Committee
from branches.permissions import is_organisation_staff_over, organisation_committee_paths


def require_organiser(actor, committee: Committee) -> None:
    """PermissionDenied unless the actor keeps the organisation of this committee."""
    if not is_organisation_staff_over(actor, committee):
        raise PermissionDenied(_("您只能管理本级及下级党组织。"))


def is_organiser_root(actor, committee: Committee) -> bool:
    """Whether the committee is the top of one of the actor's subtrees: not strictly below
    another committee whose organisation the actor keeps."""
    return not any(
        committee.path.startswith(path) and committee.path != path
        for path in organisation_committee_paths(actor)
    )


def clean_name(name: str, *, field: str = "name") -> str:
    """The name without surrounding spaces; ValidationError on `field` when blank."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({field: _("请填写名称。")})
    return name


def require_open(committee: Committee, *, field: str) -> None:
    """ValidationError on `field` when the committee is closed (takes nothing new)."""
    if committee.is_closed:
        raise ValidationError(
            {field: _("“%(name)s”已撤销，不能在其下新建或转入。") % {"name": committee.name}}
        )
