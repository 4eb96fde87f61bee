from django.urls import path

from liman.core.lists import export_urls

from . import views

app_name = "cases"

urlpatterns = [
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_open, name="case-open"),
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    *export_urls("cases/export", views.case_export, "case-export"),
    *export_urls("follow-ups/export", views.follow_up_export, "follow-up-export"),
    *export_urls("referrals/export", views.referral_export, "referral-export"),
    # Before `cases/<reference>/`: "ctdc" is not a case reference.
    path("cases/ctdc/", views.ctdc_export_page, name="ctdc-export"),
    path("cases/ctdc/export.csv", views.ctdc_export_download, name="ctdc-export-download"),
    path("cases/<str:reference>/", views.case_detail, name="case-detail"),
    path("cases/<str:reference>/forms/<str:kind>/", views.case_form, name="case-form"),
    path("cases/<str:reference>/step/", views.case_transition, name="case-transition"),
    path("cases/<str:reference>/assign/", views.case_assign, name="case-assign"),
    path("cases/<str:reference>/facts/", views.case_facts, name="case-facts"),
    path("cases/<str:reference>/notes/", views.case_note_add, name="case-note-add"),
    path("cases/<str:reference>/assessments/", views.assessment_add, name="case-assessment-add"),
    path("cases/<str:reference>/plan/", views.plan_write, name="case-plan"),
    path("cases/<str:reference>/plan/services/", views.planned_service_add, name="case-planned-service-add"),
    path("cases/<str:reference>/plan/approve/", views.plan_approve, name="case-plan-approve"),
    path("cases/<str:reference>/services/", views.service_deliver, name="case-service-deliver"),
    path("cases/<str:reference>/follow-ups/", views.follow_up_add, name="case-follow-up-add"),
    path("cases/<str:reference>/follow-ups/<int:pk>/done/", views.follow_up_done, name="case-follow-up-done"),
    path("cases/<str:reference>/follow-ups/<int:pk>/cancel/", views.follow_up_cancel, name="case-follow-up-cancel"),
    path("cases/<str:reference>/referrals/", views.referral_send, name="case-referral-send"),
    path("cases/<str:reference>/travel/", views.return_travel_book, name="case-travel-book"),
    path("cases/<str:reference>/travel/health/", views.return_travel_assess, name="case-travel-health"),
    path("referrals/", views.referral_list, name="referral-list"),
    path("referrals/<str:reference>/", views.referral_detail, name="referral-detail"),
    path("referrals/<str:reference>/answer/", views.referral_answer, name="referral-answer"),
    # The partner directory is shared by every office (PartnerOrganisation.unscoped_because): its pages check
    # the role only, and list only the member accounts the reader sees as staff.
    path("partners/", views.partner_list, name="partner-list"),
    path("partners/new/", views.partner_new, name="partner-new"),
    path("partners/<int:organisation_id>/", views.partner_detail, name="partner-detail"),
    path("partners/<int:organisation_id>/edit/", views.partner_edit, name="partner-edit"),
    path("partners/<int:organisation_id>/members/", views.partner_member_add, name="partner-member-add"),
    path(
        "partners/<int:organisation_id>/members/<str:username>/remove/",
        views.partner_member_remove,
        name="partner-member-remove",
    ),
]
