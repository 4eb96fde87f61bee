from django.urls import path

from liman.core.lists import export_urls

from . import views

app_name = "registry"

urlpatterns = [
    path("people/", views.person_search, name="person-search"),
    *export_urls("people/export", views.person_export, "person-export"),
    path("people/new/", views.person_create, name="person-create"),
    path("people/new/family/", views.family_create, name="family-create"),
    path("people/<str:reference>/", views.person_detail, name="person-detail"),
    path("people/<str:reference>/edit/", views.person_edit, name="person-edit"),
    path("people/<str:reference>/forms/<str:kind>/", views.person_change_form, name="person-change-form"),
    path("people/<str:reference>/unmerge/", views.person_unmerge, name="person-unmerge"),
    path("people/<str:reference>/household/", views.person_household_start, name="person-household-start"),
    path("people/<str:reference>/legal-status/", views.person_legal_status_add, name="person-legal-status-add"),
    path("people/<str:reference>/identifiers/", views.person_identifier_add, name="person-identifier-add"),
    path(
        "people/<str:reference>/identifiers/<int:pk>/show/",
        views.person_identifier_reveal,
        name="person-identifier-reveal",
    ),
    path("people/<str:reference>/phone/show/", views.person_phone_reveal, name="person-phone-reveal"),
    path("people/<str:reference>/disability/", views.person_disability_assess, name="person-disability-assess"),
    path("people/<str:reference>/vulnerabilities/", views.person_vulnerability_add, name="person-vulnerability-add"),
    path(
        "people/<str:reference>/vulnerabilities/<int:pk>/end/",
        views.person_vulnerability_end,
        name="person-vulnerability-end",
    ),
    path("people/<str:reference>/consents/", views.person_consent_record, name="person-consent-record"),
    path(
        "people/<str:reference>/consents/<int:pk>/withdraw/",
        views.person_consent_withdraw,
        name="person-consent-withdraw",
    ),
    path("people/<str:reference>/attachments/", views.person_attachment_add, name="person-attachment-add"),
    path(
        "people/<str:reference>/attachments/<int:pk>/",
        views.person_attachment_download,
        name="person-attachment-download",
    ),
    path("households/pick/", views.household_pick, name="household-pick"),
    path("households/<str:reference>/", views.household_detail, name="household-detail"),
    path("households/<str:reference>/members/", views.household_member_add, name="household-member-add"),
    path(
        "households/<str:reference>/members/<int:pk>/",
        views.household_member_change,
        name="household-member-change",
    ),
    path("households/<str:reference>/head/", views.household_head_change, name="household-head-change"),
    path("households/<str:reference>/location/", views.household_location_change, name="household-location-change"),
]
