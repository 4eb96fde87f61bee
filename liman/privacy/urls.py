from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/retention/", views.schedules, name="privacy-schedules"),
    path("privacy/retention/<str:kind>/", views.schedule_edit, name="privacy-schedule-edit"),
    path("privacy/holds/", views.holds, name="privacy-holds"),
    path("privacy/holds/<int:pk>/lift/", views.hold_lift, name="privacy-hold-lift"),
    path("privacy/breaches/", views.breaches, name="privacy-breaches"),
    path("privacy/reads.xlsx", views.reads_xlsx, name="privacy-reads-xlsx"),
    path("privacy/agreements/", views.agreements, name="privacy-agreements"),
    path("privacy/agreements/<int:pk>/document/", views.agreement_document, name="privacy-agreement-document"),
    path("privacy/agreements/<int:pk>/end/", views.agreement_end, name="privacy-agreement-end"),
    path("privacy/requests/", views.subject_requests, name="privacy-requests"),
    path("privacy/requests/<str:reference>/", views.subject_request, name="privacy-request"),
    path("privacy/requests/<str:reference>/act/", views.subject_request_act, name="privacy-request-act"),
    path("privacy/requests/<str:reference>/export.zip", views.subject_request_export, name="privacy-request-export"),
    path("privacy/people/<str:reference>/export.zip", views.person_export, name="privacy-person-export"),
    path("privacy/data-map/", views.data_map, name="privacy-data-map"),
]
