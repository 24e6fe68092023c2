from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from branches.enums import PersonalDataAction
from branches.models import (
    Branch,
    Committee,
    CommitteeStaff,
    ImportBatch,
    Member,
    MemberPairing,
    OneTimePassword,
    OrganisationChange,
    Pairing,
    PersonalDataAccess,
    RetiredToken,
    SubmissionKey,
)
from branches.services.personal_data import personal_data_access_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the application writes (audit lists, logs, stored counts), where its rules
    hold: the back office reads them, never adds, changes or deletes them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommitteeStaffInline(admin.TabularInline):
    model = CommitteeStaff
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "depth", "path"]
    list_select_related = ["parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    inlines = [CommitteeStaffInline]

    @admin.display(description=_("层级"))
    def depth(self, committee):
        return committee.depth


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "committee", "village", "secretary", "member_count"]
    list_select_related = ["committee", "secretary"]
    list_filter = ["kind", "committee"]
    search_fields = ["name", "village"]
    autocomplete_fields = ["committee", "secretary"]
    readonly_fields = ["public_token", "created_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        )

    @admin.display(description=_("在册党员数"), ordering="member_count")
    def member_count(self, branch):
        return branch.member_count


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    # The phone number is private: shown in the change form only, never in lists or search.
    list_display = ["name", "branch", "gender", "birth_year", "is_exempt", "is_active"]
    list_select_related = ["branch"]
    list_filter = ["is_active", "is_exempt", "exemption_reason", "gender", "branch__committee"]
    search_fields = ["name", "branch__name"]
    autocomplete_fields = ["branch"]
    readonly_fields = ["public_token", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["branch", "name", "gender", "birth_year", "joined_on", "phone"]}),
        (_("免于承诺"), {"fields": ["is_exempt", "exemption_reason", "exemption_note"]}),
        (_("在册与公示"), {"fields": ["is_active", "public_token", "created_at", "updated_at"]}),
    ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The change form shows the phone: its showing goes to the personal-data log."""
        response = super().change_view(request, object_id, form_url, extra_context)
        member = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and member is not None:
            personal_data_access_record(
                actor=request.user,
                action=PersonalDataAction.MEMBER_DETAIL_VIEW,
                branch=member.branch,
                subject=f"{member.branch.name} {member.name}",
            )
        return response


@admin.register(Pairing)
class PairingAdmin(admin.ModelAdmin):
    list_display = ["office_branch", "village_branch", "year"]
    list_select_related = ["office_branch", "village_branch"]
    list_filter = ["year"]
    search_fields = ["office_branch__name", "village_branch__name"]
    autocomplete_fields = ["office_branch", "village_branch"]


@admin.register(CommitteeStaff)
class CommitteeStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "committee", "role", "title"]
    list_select_related = ["user", "committee"]
    list_filter = ["role", "committee"]
    search_fields = ["user__username", "committee__name", "title"]
    autocomplete_fields = ["user", "committee"]


@admin.register(RetiredToken)
class RetiredTokenAdmin(admin.ModelAdmin):
    """Codes once printed and since retired: a record, never edited."""

    list_display = ["token", "member", "branch", "retired_at", "retired_by"]
    list_select_related = ["member", "branch", "retired_by"]
    search_fields = ["token", "member__name", "branch__name"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MemberPairing)
class MemberPairingAdmin(admin.ModelAdmin):
    list_display = ["member", "village_branch", "year"]
    list_select_related = ["member", "village_branch"]
    list_filter = ["year"]
    search_fields = ["member__name", "village_branch__name"]
    autocomplete_fields = ["member", "village_branch"]


@admin.register(OneTimePassword)
class OneTimePasswordAdmin(admin.ModelAdmin):
    """Accounts still signing in with a password handed over by organisation staff."""

    list_display = ["user", "issued_by", "issued_at"]
    list_select_related = ["user", "issued_by"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrganisationChange)
class OrganisationChangeAdmin(ReadOnlyAdmin):
    """The organisation's audit list: append-only, read here."""

    list_display = ["created_at", "actor", "action", "committee", "subject"]
    list_select_related = ["actor", "committee"]
    list_filter = ["action"]
    search_fields = ["subject", "actor__username"]
    readonly_fields = [*list_display, "changes", "note"]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    """The personal-data access log: append-only, read here."""

    list_display = ["created_at", "actor", "action", "committee", "branch", "subject"]
    list_select_related = ["actor", "committee", "branch"]
    list_filter = ["action"]
    search_fields = ["subject", "actor__username"]
    readonly_fields = list_display


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Uploaded spreadsheets and what became of them; the file itself is not shown."""

    list_display = ["created_at", "kind", "filename", "committee", "status", "created_by"]
    list_select_related = ["committee", "created_by"]
    list_filter = ["kind", "status"]
    readonly_fields = [*list_display, "full_roster", "finished_at", "summary"]
    exclude = ["content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SubmissionKey)
class SubmissionKeyAdmin(admin.ModelAdmin):
    """Form submissions carried out, kept a while so that a resubmission is not carried
    out again (branches.idempotency): to look up what became of one."""

    list_display = ["created_at", "user", "path", "response_location"]
    list_select_related = ["user"]
    search_fields = ["path", "user__username"]
    readonly_fields = [*list_display, "digest"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
