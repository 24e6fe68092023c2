"""Forms of the organisation staff's pages: committees, branches and pairings. The lists
offered hold only what the person keeps; the services check again."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from branches.enums import BranchKind, CommitteeKind
from branches.models import Branch, Committee, Member
from branches.selectors_organisation import (
    office_branches_organised_by,
    office_members_organised_by,
    open_committees_organised_by,
    village_branches_organised_by,
)

REQUIRED = {"required": _("此项必填。")}
INVALID_CHOICE = {
    "required": _("请选择。"),
    "invalid_choice": _("所选项不存在或不在您的管理范围内，请重新选择。"),
}


class ChoiceWithPrompt(forms.ModelChoiceField):
    """A choice whose empty option asks for a choice."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", _("请选择"))
        super().__init__(*args, **kwargs)


class CommitteeChoiceField(ChoiceWithPrompt):
    """Committees in tree order, indented by depth."""

    def label_from_instance(self, obj: Committee) -> str:
        return "— " * (obj.depth - 1) + obj.name


class BranchChoiceField(ChoiceWithPrompt):
    def label_from_instance(self, obj: Branch) -> str:
        return f"{obj.name}（{obj.committee.name}）"


class MemberChoiceField(ChoiceWithPrompt):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.branch.name}）"


def _year_field():
    this_year = timezone.localdate().year
    return forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=this_year + 1,
        initial=this_year,
        error_messages={
            "required": _("请填写年度。"),
            "invalid": _("年度须是四位数字，如 2026。"),
            "min_value": _("年度不能早于 %(limit_value)s 年。"),
            "max_value": _("年度不能晚于 %(limit_value)s 年。"),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class CommitteeForm(forms.Form):
    """A committee's name, kind and parent. The top of the person's own subtree keeps its
    parent: the form then has no parent field."""

    name = forms.CharField(
        label=_("名称"), max_length=100, error_messages={"required": _("请填写名称。")}
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[("", _("请选择")), *CommitteeKind.choices],
        error_messages={"required": _("请选择党组织类型。")},
    )
    parent = CommitteeChoiceField(
        label=_("上级党组织"),
        queryset=Committee.objects.none(),
        error_messages=INVALID_CHOICE,
        help_text=_("移动到新的上级党组织时，其下级党组织和党支部一并移动。"),
    )

    def __init__(self, *args, user, committee: Committee | None = None, movable=True, **kwargs):
        super().__init__(*args, **kwargs)
        parents = open_committees_organised_by(user=user)
        if committee is not None:
            parents = parents.exclude(path__startswith=committee.path)
            if committee.parent_id and committee.parent.is_closed:
                # A committee under a closed parent shows that parent, so saving keeps it.
                parents = parents | Committee.objects.filter(pk=committee.parent_id)
        else:
            self.fields["parent"].help_text = ""
        self.fields["parent"].queryset = parents.order_by("path")
        if not movable:
            del self.fields["parent"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写名称。"))
        return name


class BranchForm(forms.Form):
    name = forms.CharField(
        label=_("名称"),
        max_length=100,
        error_messages={"required": _("请填写名称。")},
        help_text=_("如：范寨村党支部。"),
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[("", _("请选择")), *BranchKind.choices],
        error_messages={"required": _("请选择党支部类型。")},
    )
    village = forms.CharField(
        label=_("所在村（社区）"),
        max_length=100,
        required=False,
        help_text=_("农村、社区党支部必填。"),
    )
    secretary_name = forms.CharField(
        label=_("支部书记姓名"),
        max_length=50,
        required=False,
        help_text=_("花名册上的书记姓名；书记的登录账号在“账号”中开设。"),
    )
    committee = CommitteeChoiceField(
        label=_("上级党委"), queryset=Committee.objects.none(), error_messages=INVALID_CHOICE
    )

    def __init__(self, *args, user, branch: Branch | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        committees = open_committees_organised_by(user=user)
        if branch is not None and branch.committee.is_closed:
            committees = committees | Committee.objects.filter(pk=branch.committee_id)
        self.fields["committee"].queryset = committees.order_by("path")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写名称。"))
        return name


class PairingForm(forms.Form):
    """结对共建: an office branch with a village branch for a year."""

    office_branch = BranchChoiceField(
        label=_("机关（单位）党支部"), queryset=Branch.objects.none(), error_messages=INVALID_CHOICE
    )
    village_branch = BranchChoiceField(
        label=_("结对村党支部"), queryset=Branch.objects.none(), error_messages=INVALID_CHOICE
    )
    year = _year_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office_branch"].queryset = office_branches_organised_by(user=user)
        self.fields["village_branch"].queryset = village_branches_organised_by(user=user)


class MemberPairingForm(forms.Form):
    """双结对: a member of an office branch with a village for a year."""

    member = MemberChoiceField(
        label=_("机关（单位）党员"), queryset=Member.objects.none(), error_messages=INVALID_CHOICE
    )
    village_branch = BranchChoiceField(
        label=_("结对村党支部"), queryset=Branch.objects.none(), error_messages=INVALID_CHOICE
    )
    year = _year_field()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = office_members_organised_by(user=user)
        self.fields["village_branch"].queryset = village_branches_organised_by(user=user)
