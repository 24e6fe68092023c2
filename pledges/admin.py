"""Admin for needs, pledges and their records.

A pledge's status is never a form field here: the workflow moves are admin actions that
call the model's move methods, which go through pledges.services.pledge_transition.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from branches.admin import ReadOnlyAdmin
from pledges.enums import PledgeStatus
from pledges.models import (
    Feedback,
    MembersLetter,
    Need,
    Pledge,
    PledgeAmendment,
    PledgeTransition,
    ProgressPhoto,
    ProgressRecord,
    TimeNode,
    TimeNodeClosing,
)
from pledges.stored_figures import STATUS_COLUMNS, BranchYearFigures, PledgeTally
from pledges.workflow import MOVES, Move, TransitionNotAllowed


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ["__str__", "branch", "village", "category", "source", "urgency", "status"]
    list_select_related = ["branch"]
    list_filter = ["status", "category", "source", "urgency", "branch__committee"]
    search_fields = ["description", "village", "raised_by", "branch__name"]
    autocomplete_fields = ["branch"]
    date_hierarchy = "created_at"
    readonly_fields = ["updated_at"]


# A node is closed only through pledges.services.time_node_close, which writes the audit.
TIME_NODE_CLOSING_FIELDS = ["closed_as", "done_on", "close_reason", "closed_by", "closed_at"]


class TimeNodeInline(admin.TabularInline):
    model = TimeNode
    fields = ["due_on", "description", *TIME_NODE_CLOSING_FIELDS]
    readonly_fields = TIME_NODE_CLOSING_FIELDS
    extra = 0


class ProgressRecordInline(admin.TabularInline):
    model = ProgressRecord
    fields = ["happened_on", "description", "recorded_by"]
    readonly_fields = ["recorded_by"]
    show_change_link = True  # photos are added on the record's own page
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class PledgeTransitionInline(admin.TabularInline):
    """The pledge's audit trail, shown and never touched."""

    model = PledgeTransition
    fields = ["created_at", "move", "from_status", "to_status", "actor", "actor_role", "note"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MoveReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("原因"), widget=forms.Textarea(attrs={"rows": 4}))


def refusal_text(refusal: Exception) -> str:
    """The Chinese reason a move was refused, as the service worded it."""
    if isinstance(refusal, ValidationError):
        return "；".join(refusal.messages)
    return str(refusal)


def move_action(move: Move):
    """An admin action making `move` on every selected pledge."""

    def action(modeladmin, request, queryset):
        if move.needs_reason:
            return modeladmin.ask_reason_then_move(request, queryset, move)
        modeladmin.move_selected(request, queryset, move)
        return None

    action.__name__ = move.name.value
    description = format_lazy(gettext_lazy("{move}所选承诺"), move=move.name.label)
    return admin.action(description=description, permissions=["change"])(action)


EDITABLE_STATUSES = {PledgeStatus.DRAFT, PledgeStatus.RETURNED}
LETTER_FIELDS = [
    "branch",
    "member",
    "title",
    "content",
    "beneficiaries",
    "needs",
    "category",
    "year",
    "due_date",
    "is_recurring",
    "rhythm",
]


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "pledger",
        "owner_branch",
        "category",
        "year",
        "due_date",
        "status",
        "step_label",
    ]
    list_select_related = ["owner_branch__committee", "branch", "member"]
    list_filter = ["status", "category", "year", "is_recurring", "owner_branch__committee"]
    search_fields = ["title", "content", "beneficiaries", "owner_branch__name", "member__name"]
    autocomplete_fields = ["branch", "member", "needs"]
    date_hierarchy = "due_date"
    readonly_fields = [
        "status",
        "step_label",
        "owner_branch",
        "exempt_override_reason",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            gettext_lazy("流程"),
            {"fields": ["status", "step_label", "owner_branch", "exempt_override_reason"]},
        ),
        (None, {"fields": ["branch", "member", "title", "content", "beneficiaries", "needs"]}),
        (
            gettext_lazy("时限"),
            {"fields": ["category", "year", "due_date", "is_recurring", "rhythm"]},
        ),
        (gettext_lazy("记录"), {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [TimeNodeInline, ProgressRecordInline, PledgeTransitionInline]
    actions = [move_action(move) for move in MOVES.values()]

    def get_readonly_fields(self, request, obj=None):
        # Once submitted, the wording belongs to the review and the public record: it is
        # edited only in draft or after a return for revision.
        if obj is not None and obj.status not in EDITABLE_STATUSES:
            return [*self.readonly_fields, *LETTER_FIELDS]
        return self.readonly_fields

    @admin.display(description=gettext_lazy("承诺人"))
    def pledger(self, pledge):
        return pledge.pledger

    @admin.display(description=gettext_lazy("环节"))
    def step_label(self, pledge):
        return pledge.step.label if pledge.step else None

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            if isinstance(instance, ProgressRecord) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        for instance in formset.deleted_objects:
            instance.delete()
        formset.save_m2m()

    def move_selected(self, request, queryset, move: Move, reason: str = ""):
        """Make the move on each pledge; report every refusal by title and the count moved."""
        extra = {"reason": reason} if move.needs_reason else {}
        moved = 0
        for pledge in queryset.select_related("owner_branch__committee"):
            try:
                getattr(pledge, move.name.value)(request.user, **extra)
            except (TransitionNotAllowed, PermissionDenied, ValidationError) as refusal:
                message = _("“%(title)s”：%(reason)s") % {
                    "title": pledge.title,
                    "reason": refusal_text(refusal),
                }
                self.message_user(request, message, messages.ERROR)
            else:
                moved += 1
        if moved:
            message = _("已对 %(count)d 项承诺执行“%(move)s”。") % {
                "count": moved,
                "move": move.name.label,
            }
            self.message_user(request, message, messages.SUCCESS)

    def ask_reason_then_move(self, request, queryset, move: Move):
        """Show the reason page until it comes back filled in with `apply`, then move."""
        form = MoveReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self.move_selected(request, queryset, move, reason=form.cleaned_data["reason"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(move)s：填写原因") % {"move": move.name.label},
            "opts": self.opts,
            "form": form,
            "move": move.name,
            "pledges": queryset.select_related("owner_branch"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/pledges/pledge/move_reason.html", context)


class NoPhotoUploadMixin:
    """Photos enter only through the workspace, where pledges.photos checks the file,
    strips EXIF (GPS included) and makes the thumbnail; here they are shown or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProgressPhotoInline(NoPhotoUploadMixin, admin.TabularInline):
    model = ProgressPhoto
    fields = ["image", "thumbnail"]
    readonly_fields = fields
    extra = 0


@admin.register(ProgressRecord)
class ProgressRecordAdmin(admin.ModelAdmin):
    list_display = ["__str__", "pledge", "happened_on", "recorded_by"]
    list_select_related = ["pledge", "recorded_by"]
    list_filter = ["pledge__owner_branch__committee"]
    search_fields = ["description", "pledge__title"]
    autocomplete_fields = ["pledge"]
    date_hierarchy = "happened_on"
    readonly_fields = ["recorded_by", "created_at"]
    inlines = [ProgressPhotoInline]

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TimeNode)
class TimeNodeAdmin(admin.ModelAdmin):
    list_display = ["description", "pledge", "due_on", "closed_as", "done_on"]
    list_select_related = ["pledge"]
    list_filter = ["closed_as", "pledge__year"]
    readonly_fields = TIME_NODE_CLOSING_FIELDS
    search_fields = ["description", "pledge__title"]
    autocomplete_fields = ["pledge"]
    date_hierarchy = "due_on"


@admin.register(ProgressPhoto)
class ProgressPhotoAdmin(NoPhotoUploadMixin, admin.ModelAdmin):
    list_display = ["__str__", "record", "created_at"]
    list_select_related = ["record"]
    search_fields = ["record__description", "record__pledge__title"]
    date_hierarchy = "created_at"


@admin.register(TimeNodeClosing)
class TimeNodeClosingAdmin(ReadOnlyAdmin):
    """The append-only audit of time nodes closed: read, never added, changed or deleted."""

    list_display = ["node", "outcome", "done_on", "reason", "actor", "created_at"]
    list_select_related = ["node", "actor"]
    list_filter = ["outcome"]
    search_fields = ["node__description", "node__pledge__title", "reason"]
    date_hierarchy = "created_at"


@admin.register(PledgeTransition)
class PledgeTransitionAdmin(ReadOnlyAdmin):
    """The append-only audit of moves: read, never added, changed or deleted here."""

    list_display = [
        "created_at",
        "pledge",
        "move",
        "from_status",
        "to_status",
        "actor",
        "actor_role",
    ]
    list_select_related = ["pledge", "actor"]
    list_filter = ["move", "to_status", "actor_role"]
    search_fields = ["pledge__title", "actor__username", "note"]
    date_hierarchy = "created_at"
    readonly_fields = [*list_display, "note"]


@admin.register(PledgeAmendment)
class PledgeAmendmentAdmin(ReadOnlyAdmin):
    """Changes made to public pledges: append-only, shown on the public page."""

    list_display = ["created_at", "pledge", "field", "reason", "actor"]
    list_select_related = ["pledge", "actor"]
    search_fields = ["pledge__title", "reason", "old_value", "new_value"]
    readonly_fields = [*list_display, "old_value", "new_value"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "pledge", "rating", "channel", "comment", "comment_status"]
    list_select_related = ["pledge"]
    list_filter = ["rating", "channel", "comment_status"]
    search_fields = ["pledge__title", "comment"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "pledge",
        "rating",
        "comment",
        "channel",
        "recorded_by",
        "gathered_at",
        "day",
        "moderated_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(MembersLetter)
class MembersLetterAdmin(ReadOnlyAdmin):
    """The districts' letters to all members: read here, written on the letter's own page
    (pledges:letter_edit) through pledges.services.letters, which writes the audit row."""

    list_display = ["year", "committee", "title", "signature", "dated", "updated_by", "updated_at"]
    list_select_related = ["committee", "updated_by"]
    list_filter = ["year"]
    readonly_fields = [*list_display, "body", "created_at"]


class StoredFiguresAdmin(ReadOnlyAdmin):
    """Counts kept by the application (pledges.figures.stored): read here, never edited, as
    an edit would be undone by the next count. `manage.py refresh_figures` counts again."""

    list_select_related = ["branch"]
    list_filter = ["year"]
    search_fields = ["branch__name"]


@admin.register(PledgeTally)
class PledgeTallyAdmin(StoredFiguresAdmin):
    list_display = ["branch", "year", "category", *STATUS_COLUMNS]
    list_filter = ["year", "category"]


@admin.register(BranchYearFigures)
class BranchYearFiguresAdmin(StoredFiguresAdmin):
    list_display = [
        "branch",
        "year",
        "pledges_total",
        "pledges_done",
        "pledged_members",
        "covered_members",
    ]
