"""Spreadsheet imports of organisation staff: templates, roster export, upload, preview,
confirm and abandon. Secretaries and committee staff get 403 on every page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from branches.enums import ImportKind, ImportRowStatus, ImportStatus, PersonalDataAction
from branches.forms.imports import ImportUploadForm, import_choices_from_post
from branches.http import parse_id
from branches.imports import services
from branches.imports.plan import NEW_MEMBER, Choices, Plan
from branches.imports.reading import ImportRefused
from branches.imports.selectors import import_batch_for, import_batches_organised_by
from branches.imports.writing import roster_workbook, template_workbook
from branches.models import Member
from branches.selectors import branch_organised_for, branches_organised_by
from branches.selectors_organisation import organisation_roots
from branches.services.personal_data import personal_data_access_record
from branches.views.organisation import organiser_required
from branches.xlsx import xlsx_response

RECENT_BATCHES = 20
TEMPLATE_NAMES = {
    ImportKind.ORGANISATION: "组织架构导入模板.xlsx",
    ImportKind.MEMBERS: "党员名册导入模板.xlsx",
}
# Rows of the preview a page: a 2,000-member roster stays light on a phone.
PREVIEW_ROWS_PER_PAGE = 100
# Row filters of the preview: key → (label, statuses shown).
ROW_FILTERS = {
    "": (
        gettext_lazy("有变化和问题"),
        {
            ImportRowStatus.NEW,
            ImportRowStatus.CHANGED,
            ImportRowStatus.ERROR,
            ImportRowStatus.AMBIGUOUS,
        },
    ),
    "problems": (gettext_lazy("只看问题"), {ImportRowStatus.ERROR, ImportRowStatus.AMBIGUOUS}),
    "changes": (gettext_lazy("只看新增和修改"), {ImportRowStatus.NEW, ImportRowStatus.CHANGED}),
    "all": (gettext_lazy("全部"), set(ImportRowStatus)),
}


def _kind(kind: str) -> ImportKind:
    if kind not in ImportKind.values:
        raise Http404
    return ImportKind(kind)


def _render_index(request, kind: ImportKind, form, status=200):
    context = {
        "kind": kind,
        "kind_label": kind.label,
        "kinds": ImportKind.choices,
        "form": form,
        "batches": import_batches_organised_by(user=request.user).filter(kind=kind)[
            :RECENT_BATCHES
        ],
    }
    if kind == ImportKind.MEMBERS:
        context["export_branches"] = (
            branches_organised_by(user=request.user)
            .select_related("committee")
            .order_by("committee__path", "name")
        )
    return render(request, "branches/imports/index.html", context, status=status)


@never_cache
@organiser_required
@require_GET
def import_home(request):
    return redirect("branches:org_import_index", ImportKind.MEMBERS)


@never_cache
@organiser_required
@require_GET
def import_index(request, kind: str):
    """Template download, roster export, the upload form and the recent batches."""
    kind = _kind(kind)
    return _render_index(request, kind, ImportUploadForm(user=request.user, kind=kind))


@never_cache
@organiser_required
@require_POST
def import_upload(request, kind: str):
    """Keep the file and show its preview; a refused file stays on the page, unstored."""
    kind = _kind(kind)
    form = ImportUploadForm(request.POST, request.FILES, user=request.user, kind=kind)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.import_batch_create(
                kind=kind,
                committee=form.cleaned_data["committee"],
                filename=upload.name,
                content=upload.read(),
                full_roster=form.cleaned_data.get("full_roster", False),
                actor=request.user,
            )
        except ImportRefused as refusal:
            form.add_error("file", refusal.message)
        else:
            return redirect("branches:org_import_preview", batch.pk)
    return _render_index(request, kind, form)


@never_cache
@organiser_required
@require_GET
def import_template(request, kind: str):
    kind = _kind(kind)
    return xlsx_response(content=template_workbook(kind), filename=TEMPLATE_NAMES[kind])


@never_cache
@organiser_required
@require_GET
def import_export(request):
    """The roster of the person's subtrees, or of one branch (?branch=), as the template.
    Phones and all: each download is written to the personal-data access log."""
    branch_id = request.GET.get("branch", "")
    if branch_id:
        if parse_id(branch_id) is None:
            raise Http404
        branch = branch_organised_for(user=request.user, branch_id=parse_id(branch_id))
        content = roster_workbook(Member.objects.filter(branch=branch))
        personal_data_access_record(
            actor=request.user,
            action=PersonalDataAction.ROSTER_DOWNLOAD,
            branch=branch,
            subject=branch.name,
        )
        name = branch.name
    else:
        members = Member.objects.filter(branch__in=branches_organised_by(user=request.user))
        content = roster_workbook(members)
        for committee in organisation_roots(user=request.user):
            personal_data_access_record(
                actor=request.user,
                action=PersonalDataAction.ROSTER_DOWNLOAD,
                committee=committee,
                subject=_("%(name)s及下级党组织的全部党支部") % {"name": committee.name},
            )
        name = _("全部")
    day = timezone.localdate().strftime("%Y%m%d")
    return xlsx_response(content=content, filename=f"党员名册-{name}-{day}.xlsx")


def _questions(plan: Plan, choices: Choices) -> list[dict]:
    questions = []
    for row in plan.ambiguous_rows:
        answer = choices.matches.get(row.number)
        options = [
            {"value": str(c.pk), "label": c.label, "checked": answer == c.pk}
            for c in row.candidates
        ]
        options.append(
            {"value": NEW_MEMBER, "label": _("都不是：新党员"), "checked": answer == NEW_MEMBER}
        )
        questions.append({"row": row, "options": options})
    return questions


def _render_preview(request, batch, plan: Plan | None, *, choices=None, problems=(), status=200):
    show = request.GET.get("show")
    if show not in ROW_FILTERS:
        # What needs the person first: the wrong rows and the questions, when there are any.
        has_problems = plan is not None and (plan.has_errors or plan.ambiguous_rows)
        show = "problems" if has_problems else ""
    choices = choices or Choices()
    context = {
        "batch": batch,
        "plan": plan,
        "show": show,
        "filters": [(key, label) for key, (label, _statuses) in ROW_FILTERS.items()],
        "problems": problems,
        "outcome": batch.summary if batch.status == ImportStatus.APPLIED else None,
    }
    if plan is not None:
        shown = ROW_FILTERS[show][1]
        rows = [row for row in plan.rows if row.status in shown]
        page = Paginator(rows, PREVIEW_ROWS_PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            rows=page.object_list,
            page_obj=page,
            counts=plan.count_items(),
            questions=_questions(plan, choices),
            roll_off=[
                {"member": entry, "checked": entry.pk in choices.roll_off}
                for entry in plan.roll_off
            ],
            fingerprint=plan.fingerprint(),
        )
    return render(request, "branches/imports/preview.html", context, status=status)


def _pending_plan(request, batch) -> Plan | None:
    if batch.status != ImportStatus.PENDING:
        return None
    try:
        return services.import_batch_plan(batch=batch)
    except ImportRefused as refusal:  # a file kept under other rules than today's
        messages.error(request, refusal.message)
        return None


@never_cache
@organiser_required
@require_GET
def import_preview(request, batch_id: int):
    batch = import_batch_for(user=request.user, batch_id=batch_id)
    plan = _pending_plan(request, batch)
    if plan is not None and batch.kind == ImportKind.MEMBERS:
        # The changed rows show the stored phone beside the file's.
        personal_data_access_record(
            actor=request.user,
            action=PersonalDataAction.IMPORT_PREVIEW_VIEW,
            committee=batch.committee,
            subject=batch.filename,
        )
    return _render_preview(request, batch, plan)


@never_cache
@organiser_required
@require_POST
def import_confirm(request, batch_id: int):
    batch = import_batch_for(user=request.user, batch_id=batch_id)
    plan = _pending_plan(request, batch)
    if plan is None:
        return _render_preview(request, batch, None)
    choices = import_choices_from_post(plan, request.POST)
    try:
        services.import_batch_confirm(
            batch=batch,
            actor=request.user,
            choices=choices,
            fingerprint=request.POST.get("fingerprint", ""),
        )
    except services.PlanChanged as changed:
        messages.warning(request, _("预览之后数据已有变化：请核对下面更新后的预览，再确认导入。"))
        return _render_preview(request, batch, changed.plan, choices=choices)
    except ValidationError as error:
        return _render_preview(request, batch, plan, choices=choices, problems=error.messages)
    messages.success(request, _("已导入“%(name)s”。") % {"name": batch.filename})
    return redirect("branches:org_import_preview", batch.pk)


@never_cache
@organiser_required
@require_POST
def import_abandon(request, batch_id: int):
    batch = import_batch_for(user=request.user, batch_id=batch_id)
    try:
        services.import_batch_abandon(batch=batch, actor=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("branches:org_import_preview", batch.pk)
    messages.success(
        request, _("已放弃导入“%(name)s”，没有写入任何数据。") % {"name": batch.filename}
    )
    return redirect("branches:org_import_index", batch.kind)
