from django.urls import path

from . import views

urlpatterns = [
    path("grants/", views.grant_home, name="grant-home"),
    path("employment/", views.employment_home, name="employment-home"),
    path("grants/calls/new/", views.call_create, name="grant-call-create"),
    path("grants/calls/<str:reference>/", views.call_detail, name="grant-call-detail"),
    path("grants/calls/<str:reference>/criteria/", views.criterion_add, name="grant-criterion-add"),
    path("grants/calls/<str:reference>/panel/", views.panel_add, name="grant-panel-add"),
    path("grants/calls/<str:reference>/apply/", views.application_create, name="grant-application-create"),
    path("grants/applications/<str:reference>/", views.application_detail, name="grant-application-detail"),
    path("grants/applications/<str:reference>/step/", views.application_step, name="grant-application-step"),
    path("grants/applications/<str:reference>/score/", views.application_score, name="grant-application-score"),
    path(
        "grants/applications/<str:reference>/conflict/", views.application_conflict, name="grant-application-conflict"
    ),  # fmt: skip
    path("grants/applications/<str:reference>/agreement/", views.agreement_sign, name="grant-agreement-sign"),
    path("grants/applications/<str:reference>/visits/", views.visit_record, name="grant-visit-record"),
    path("grants/tranches/<int:pk>/milestone/", views.tranche_milestone, name="grant-tranche-milestone"),
    path("grants/tranches/<int:pk>/pay/", views.tranche_pay, name="grant-tranche-pay"),
]
