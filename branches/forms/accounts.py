"""The form that opens an account. Its scope field depends on the kind: a branch for a
secretary, a committee for staff."""

from django import forms
from django.utils.translation import gettext_lazy as _

from branches.enums import AccountKind
from branches.forms.organisation import (
    INVALID_CHOICE,
    BranchChoiceField,
    CommitteeChoiceField,
)
from branches.models import Branch, Committee
from branches.selectors import branches_organised_by
from branches.selectors_organisation import open_committees_organised_by


class AccountCreateForm(forms.Form):
    full_name = forms.CharField(
        label=_("姓名"),
        max_length=30,
        error_messages={"required": _("请填写姓名。")},
        help_text=_("如：王彦军。"),
    )
    username = forms.CharField(
        label=_("登录名"),
        max_length=30,
        error_messages={"required": _("请填写登录名。")},
        help_text=_("登录时输入的名字：英文字母、数字和“_”“.”“-”，如姓名拼音 wangyanjun。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    branch = BranchChoiceField(
        label=_("党支部"),
        queryset=Branch.objects.none(),
        error_messages=INVALID_CHOICE,
        help_text=_("已有书记账号的支部，新账号将取代原账号；原账号如没有其他职务，将同时停用。"),
    )
    committee = CommitteeChoiceField(
        label=_("党委"), queryset=Committee.objects.none(), error_messages=INVALID_CHOICE
    )
    title = forms.CharField(
        label=_("职务"), max_length=50, required=False, help_text=_("如：组织委员。")
    )

    def __init__(self, *args, user, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == AccountKind.SECRETARY:
            del self.fields["committee"], self.fields["title"]
            self.fields["branch"].queryset = (
                branches_organised_by(user=user)
                .filter(committee__closed_at__isnull=True)
                .select_related("committee")
                .order_by("committee__path", "name")
            )
        else:
            del self.fields["branch"]
            self.fields["committee"].queryset = open_committees_organised_by(user=user).order_by(
                "path"
            )
            if kind == AccountKind.ORGANISATION_STAFF:
                self.fields["committee"].help_text = _(
                    "组织部门管理员管理该党委及其全部下级党组织的组织架构和账号。"
                )
            else:
                self.fields["committee"].help_text = _(
                    "党委工作人员审核、讲评该党委及其全部下级党支部的承诺。"
                )

    def clean_username(self):
        return self.cleaned_data["username"].strip()
