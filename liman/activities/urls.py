from django.urls import path

from . import views

app_name = "activities"

urlpatterns = [
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/new/", views.activity_create, name="activity-create"),
    path("activities/counts/", views.counts, name="activity-counts"),
    path("activities/counts/export/", views.counts_export, name="activity-counts-export"),
    path("activities/equipment/", views.equipment_list, name="activity-equipment-list"),
    path("activities/equipment/new/", views.equipment_create, name="activity-equipment-create"),
    path("activities/sessions/<int:pk>/attendance/", views.attendance, name="activity-attendance"),
    path("activities/check-in/<str:check_in_token>/", views.check_in, name="activity-check-in"),
    path("activities/participants/<int:pk>/scores/", views.participant_scores, name="activity-participant-scores"),
    path(
        "activities/participants/<int:pk>/consent-withdrawn/",
        views.participant_consent_withdraw,
        name="activity-participant-consent-withdraw",
    ),  # fmt: skip
    path("activities/participants/<int:pk>/certificate/", views.certificate_issue, name="activity-certificate-issue"),
    path("activities/participants/<int:pk>/certificate.pdf", views.certificate, name="activity-certificate"),
    path("activities/<str:reference>/", views.activity_detail, name="activity-detail"),
    path("activities/<str:reference>/sessions/", views.session_add, name="activity-session-add"),
    path("activities/<str:reference>/participants/", views.participant_add, name="activity-participant-add"),
    path("activities/<str:reference>/step/", views.activity_step, name="activity-step"),
    path("activities/<str:reference>/sign-in.pdf", views.sign_in_sheets, name="activity-sign-in"),
]
