from django import forms
from django.utils.translation import gettext_lazy as _

from branches.enums import ImportKind
from branches.http import parse_id, parse_ids
from branches.imports.plan import NEW_MEMBER, Choices, Plan
from branches.imports.reading import MAX_UPLOAD_BYTES
from branches.selectors import committees_organised_by


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件"),
        help_text=_("用下载的模板填写，保存为 .xlsx；也可以是 UTF-8 或 GBK 编码的 .csv。"),
        error_messages={"required": _("请选择要上传的表格文件。")},
    )
    committee = forms.ModelChoiceField(
        label=_("导入范围"),
        queryset=None,
        empty_label=None,
        help_text=_("表中的党组织和党支部须在这个党组织之下。"),
    )
    full_roster = forms.BooleanField(
        label=_("这是完整名册：表中没有的在册党员列出来，由我逐个决定是否移出在册"),
        required=False,
    )

    def __init__(self, *args, user, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees_organised_by(user=user).filter(
            closed_at=None
        )
        if kind != ImportKind.MEMBERS:
            del self.fields["full_roster"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(limit)s MB，请分批导入。"),
                params={"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        return upload


def import_choices_from_post(plan: Plan, data) -> Choices:
    """The answers posted with the confirmation: `match_<row>` (a member's pk or "new")
    and the ticked `roll_off` pks. Anything malformed is left out, to be asked again."""
    choices = Choices()
    for row in plan.ambiguous_rows:
        answer = data.get(f"match_{row.number}", "")
        if answer == NEW_MEMBER:
            choices.matches[row.number] = NEW_MEMBER
        elif parse_id(answer) is not None:
            choices.matches[row.number] = parse_id(answer)
    choices.roll_off = set(parse_ids(data.getlist("roll_off")))
    return choices
