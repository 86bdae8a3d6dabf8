from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import CommitteeRecord, Credential, MembershipRecord, User


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    fields = [
        "program",
        "designation",
        "certified_since",
        "cycle_start",
        "cycle_end",
        "renewed_on",
        "status",
    ]
    show_change_link = True


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "member_number",
        "first_name",
        "last_name",
        "email",
        "organization",
        "is_staff",
    ]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        "groups",
        "credentials__program",
        "credentials__status",
    ]
    search_fields = ["username", "first_name", "last_name", "email", "member_number"]
    ordering = ["last_name", "first_name"]
    readonly_fields = ["member_number", "last_login", "date_joined"]
    inlines = [CredentialInline]
    fieldsets = (
        (None, {"fields": ("username", "password", "member_number")}),
        (
            "Name and contact",
            {"fields": ("first_name", "last_name", "email", "phone", "organization")},
        ),
        ("Address", {"fields": ("street", "city", "state", "postal_code", "country")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "first_name",
                    "last_name",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_search_results(self, request, queryset, search_term):
        # Filtering on credentials can repeat a member; distinct keeps one row each.
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, True


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = [
        "designation",
        "holder",
        "program",
        "status",
        "cycle_start",
        "cycle_end",
        "renewed_on",
    ]
    list_filter = ["program", "designation", "status"]
    search_fields = [
        "holder__first_name",
        "holder__last_name",
        "holder__email",
        "holder__member_number",
        "holder__username",
    ]
    list_select_related = ["holder"]
    raw_id_fields = ["holder"]
    date_hierarchy = "cycle_end"


@admin.register(MembershipRecord)
class MembershipRecordAdmin(admin.ModelAdmin):
    list_display = ["member", "kind", "organization", "year"]
    list_filter = ["kind", "year"]
    search_fields = [
        "member__first_name",
        "member__last_name",
        "member__email",
        "member__member_number",
        "organization",
    ]
    list_select_related = ["member"]
    raw_id_fields = ["member"]


@admin.register(CommitteeRecord)
class CommitteeRecordAdmin(admin.ModelAdmin):
    list_display = ["member", "committee", "role", "year"]
    list_filter = ["role", "year"]
    search_fields = [
        "member__first_name",
        "member__last_name",
        "member__email",
        "member__member_number",
        "committee",
    ]
    list_select_related = ["member"]
    raw_id_fields = ["member"]
