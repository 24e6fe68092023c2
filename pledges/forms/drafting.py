"""Forms of 定诺: the pledge letter's fields, the pledger, the needs it claims, time nodes."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

from branches.forms.fields import ModelIdsField
from branches.http import parse_id
from branches.models import Branch, Member
from pledges.enums import NeedStatus, Rhythm
from pledges.focus_areas import category_choices, focus_areas
from pledges.models import Need, Pledge
from pledges.selectors import URGENCY_RANK, need_branch_ids

# A time node may lie this far in the past ("today-ish"): a first visit made last week
# can still be written down as the pledge's first node.
TIME_NODE_GRACE_DAYS = 30
TIME_NODE_PREFIX = "nodes"
TIME_NODE_EXTRA_ROWS = 3
TIME_NODE_MAX_ROWS = 60
DATE_INPUT = {"type": "date"}


def _ints(values) -> list[int]:
    """The ids among posted values or model instances; junk is dropped (see parse_id)."""
    ids = (parse_id(str(getattr(value, "pk", value))) for value in values or ())
    return [pk for pk in ids if pk is not None]


def chinese_date(day: datetime.date) -> str:
    return format_date(day, "Y年n月j日")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member):
        if member.is_exempt:
            return _("%(name)s（免于承诺）") % {"name": member.name}
        return member.name


class NeedsChoiceField(ModelIdsField):
    def label_from_instance(self, need):
        first_line = need.description.splitlines()[0] if need.description else ""
        details = [need.get_category_display(), need.get_urgency_display()]
        if need.status != NeedStatus.OPEN:
            details.append(need.get_status_display())
        return f"{first_line}（{' · '.join(str(detail) for detail in details)}）"


class PledgeForm(forms.ModelForm):
    """The pledge letter's fields, its pledger (the branch or one of its members on the
    roll) and the needs it claims (the branch's open needs, plus those already chosen)."""

    member = MemberChoiceField(
        label=_("承诺人"),
        queryset=Member.objects.none(),
        required=False,
        help_text=_("选本支部即为支部承诺；选党员即为该党员的承诺。"),
    )
    needs = NeedsChoiceField(
        label=_("认领的群众需求"),
        queryset=Need.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可认领一条或多条需求，也可不选，直接填写承诺。"),
    )
    exempt_confirmed = forms.BooleanField(label=_("该党员已免于承诺，仍为其写承诺"), required=False)

    class Meta:
        model = Pledge
        fields = [
            "title",
            "content",
            "beneficiaries",
            "category",
            "year",
            "due_date",
            "is_recurring",
            "rhythm",
            "exempt_override_reason",
        ]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 4}),
            "due_date": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
        }
        help_texts = {
            "title": _("一句话写明做什么，如“每月给村东生产路树木浇水一次”。"),
            "beneficiaries": _("如“村东生产路沿线农户”“全村困难群众”。"),
            "is_recurring": _("按频次反复履行的承诺（如每月一次）勾选此项。"),
            "exempt_override_reason": _(
                "如“本人主动要求承诺力所能及的事”。审核时上级党组织可见，不公示。"
            ),
        }

    field_order = ["member", "exempt_confirmed", "needs", *Meta.fields]

    def __init__(self, *args, branch: Branch, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch
        self.today = today or timezone.localdate()
        pledge = self.instance
        is_new = pledge.pk is None

        member_field = self.fields["member"]
        member_field.queryset = Member.objects.filter(branch=branch).filter(
            Q(is_active=True) | Q(pk=pledge.member_id or 0)
        )
        member_field.empty_label = _("%(branch)s（支部承诺）") % {"branch": branch.name}

        if not is_new and "exempt_confirmed" not in self.initial:
            self.initial["exempt_confirmed"] = bool(pledge.exempt_override_reason)
        self.fields["exempt_override_reason"].label = _("仍为其写承诺的原因")

        years = [self.today.year, self.today.year + 1]
        if not is_new and pledge.year not in years:
            years.insert(0, pledge.year)
        linked_ids = [] if is_new else list(pledge.needs.values_list("pk", flat=True))
        if self.is_bound:
            chosen = self.data.getlist(self.add_prefix("needs"))
        else:
            chosen = self.initial.get("needs")
        if not is_new and "needs" not in self.initial:
            self.initial["needs"] = linked_ids
            self.initial["member"] = pledge.member_id
        self.fields["needs"].queryset = (
            Need.objects.filter(branch_id__in=need_branch_ids(branch=branch, years=years))
            .filter(
                Q(status=NeedStatus.OPEN)
                | Q(pk__in=_ints(chosen), status=NeedStatus.CLAIMED)
                | Q(pk__in=linked_ids)
            )
            .order_by(URGENCY_RANK, "-created_at", "-pk")
        )

        self.fields["year"] = forms.TypedChoiceField(
            label=self.fields["year"].label,
            choices=[(year, _("%(year)s年") % {"year": year}) for year in years],
            coerce=int,
            initial=self.today.year,
        )
        self.fields["rhythm"].choices = [("", _("（一次性承诺不选）")), *Rhythm.choices]
        self.fields["category"].choices = category_choices(branch.kind, blank_label=_("请选择类别"))
        areas = focus_areas(branch.kind)
        if areas:
            self.fields["category"].help_text = _("%(kind)s党支部的承诺重点：%(areas)s。") % {
                "kind": branch.get_kind_display(),
                "areas": "、".join(str(area.label) for area in areas),
            }

    @property
    def asks_exempt_confirmation(self) -> bool:
        """Whether the page shows the exemption's confirmation: the pledger chosen (or held)
        is exempt, or the confirmation has errors to show."""
        if self.errors.get("exempt_confirmed") or self.errors.get("exempt_override_reason"):
            return True
        if self.is_bound:
            member = getattr(self, "cleaned_data", {}).get("member")
        else:
            member_id = self.initial.get("member") or self.instance.member_id
            member = (
                self.fields["member"].queryset.filter(pk=member_id).first() if member_id else None
            )
        return bool(member and member.is_exempt) or bool(self.initial.get("exempt_confirmed"))

    def _clean_exemption(self, cleaned: dict) -> None:
        """A member exempt from pledging (免于承诺) is pledged for only once the secretary
        ticks the confirmation and says why; for anyone else no reason is kept."""
        member = cleaned.get("member")
        reason = (cleaned.get("exempt_override_reason") or "").strip()
        if not (member and member.is_exempt):
            cleaned["exempt_override_reason"] = ""
            return
        if not cleaned.get("exempt_confirmed"):
            self.add_error(
                "exempt_confirmed",
                _("%(name)s已免于承诺：如仍为其写承诺，请勾选确认并填写原因。")
                % {"name": member.name},
            )
        if not reason and "exempt_override_reason" not in self.errors:
            self.add_error("exempt_override_reason", _("请填写为免于承诺的党员写承诺的原因。"))
        cleaned["exempt_override_reason"] = reason

    def clean(self):
        cleaned = super().clean()
        self._clean_exemption(cleaned)
        recurring, rhythm = cleaned.get("is_recurring"), cleaned.get("rhythm")
        if recurring and not rhythm and "rhythm" not in self.errors:
            self.add_error("rhythm", _("经常性承诺须选择频次，如“每月”。"))
        elif not recurring and rhythm:
            self.add_error(
                "rhythm",
                _("一次性承诺不选频次；如需按频次反复履行，请勾选“经常性承诺”。"),
            )
        due_date, year = cleaned.get("due_date"), cleaned.get("year")
        if due_date:
            if self.instance.pk is None and due_date < self.today:
                self.add_error("due_date", _("完成时限不能早于今天。"))
            elif year and due_date < datetime.date(year, 1, 1):
                self.add_error("due_date", _("完成时限不能早于承诺年度。"))
            elif year and not recurring and due_date > datetime.date(year, 12, 31):
                self.add_error(
                    "due_date",
                    _(
                        "一次性承诺的完成时限不能晚于%(year)s年12月31日；"
                        "跨年度按频次履行的请勾选“经常性承诺”。"
                    )
                    % {"year": year},
                )
        return cleaned

    def service_arguments(self) -> dict:
        """The cleaned data as the drafting services take it."""
        data = dict(self.cleaned_data)
        data.pop("exempt_confirmed", None)
        return {"member": data.pop("member"), "needs": list(data.pop("needs")), **data}


class TimeNodeForm(forms.Form):
    """One time node; a row left blank is no node."""

    due_on = forms.DateField(
        label=_("节点日期"),
        required=False,
        widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
    )
    description = forms.CharField(label=_("节点任务"), max_length=200, required=False)

    def clean(self):
        cleaned = super().clean()
        due_on = cleaned.get("due_on")
        description = (cleaned.get("description") or "").strip()
        cleaned["description"] = description
        if description and not due_on and "due_on" not in self.errors:
            self.add_error("due_on", _("请填写这个节点的日期。"))
        if due_on and not description:
            self.add_error("description", _("请写明这个节点要完成什么。"))
        return cleaned


class BaseTimeNodeFormSet(forms.BaseFormSet):
    """Time nodes, each between `earliest` and the pledge form's due date."""

    def __init__(self, *args, pledge_form=None, earliest=None, extra=None, **kwargs):
        kwargs.setdefault("prefix", TIME_NODE_PREFIX)
        super().__init__(*args, **kwargs)
        self.pledge_form = pledge_form
        self.earliest = earliest
        if extra is not None:
            self.extra = extra

    def clean(self):
        due_date = None
        if self.pledge_form is not None and self.pledge_form.is_bound:
            self.pledge_form.is_valid()  # validates once; a valid due date stays in cleaned_data
            due_date = self.pledge_form.cleaned_data.get("due_date")
        for form in self.forms:
            due_on = getattr(form, "cleaned_data", {}).get("due_on")
            if not due_on:
                continue
            if self.earliest and due_on < self.earliest:
                form.add_error(
                    "due_on",
                    _("节点日期不能早于%(date)s。") % {"date": chinese_date(self.earliest)},
                )
            elif due_date and due_on > due_date:
                form.add_error(
                    "due_on",
                    _("节点日期不能晚于完成时限（%(date)s）。") % {"date": chinese_date(due_date)},
                )

    def nodes(self) -> list[dict]:
        """The filled rows, by date: what the drafting services take as time_nodes."""
        rows = [
            {"due_on": form.cleaned_data["due_on"], "description": form.cleaned_data["description"]}
            for form in self.forms
            if form.cleaned_data.get("due_on") and form.cleaned_data.get("description")
        ]
        return sorted(rows, key=lambda row: row["due_on"])


TimeNodeFormSet = forms.formset_factory(
    TimeNodeForm,
    formset=BaseTimeNodeFormSet,
    extra=TIME_NODE_EXTRA_ROWS,
    max_num=TIME_NODE_MAX_ROWS,
    validate_max=True,
)


def time_node_earliest(*, today: datetime.date, pledge: Pledge | None = None) -> datetime.date:
    """The earliest date a time node may have: a little before today, or an earlier node
    the pledge already has (a returned pledge keeps its past nodes)."""
    earliest = today - datetime.timedelta(days=TIME_NODE_GRACE_DAYS)
    if pledge is not None and pledge.pk:
        first = pledge.time_nodes.order_by("due_on").values_list("due_on", flat=True).first()
        if first and first < earliest:
            earliest = first
    return earliest


def time_node_initial(pledge: Pledge) -> list[dict]:
    return [
        {"due_on": node.due_on, "description": node.description}
        for node in pledge.time_nodes.order_by("due_on", "pk")
    ]


def typed_values(data) -> tuple[dict, list[dict]]:
    """What was typed into a posted pledge form, as initial values for unbound forms: used
    to redraw the page with more time node rows without running (and showing) validation."""
    initial = {name: data.get(name, "") for name in PledgeForm.Meta.fields}
    initial["is_recurring"] = bool(data.get("is_recurring"))
    initial["exempt_confirmed"] = bool(data.get("exempt_confirmed"))
    initial["member"] = parse_id(data.get("member"))
    initial["needs"] = _ints(data.getlist("needs"))
    try:
        total = min(int(data.get(f"{TIME_NODE_PREFIX}-TOTAL_FORMS", 0)), TIME_NODE_MAX_ROWS)
    except ValueError:
        total = 0
    rows = [
        {
            "due_on": data.get(f"{TIME_NODE_PREFIX}-{index}-due_on", ""),
            "description": data.get(f"{TIME_NODE_PREFIX}-{index}-description", ""),
        }
        for index in range(total)
    ]
    return initial, rows
