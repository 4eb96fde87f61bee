from django.urls import path

from . import employment_views as jobs
from . import views

app_name = "livelihoods"

urlpatterns = [
    path("grants/", views.grant_home, name="grant-home"),
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
    path("grants/tranches/<int:pk>/payable/", views.tranche_payable, name="grant-tranche-payable"),
    path("grants/tranches/<int:pk>/payment-file/", views.tranche_payment_file, name="grant-tranche-payment-file"),
    path("employment/", jobs.employment_home, name="employment-home"),
    path("employment/employers/", jobs.employer_list, name="employment-employer-list"),
    path("employment/employers/new/", jobs.employer_create, name="employment-employer-create"),
    path("employment/employers/<int:pk>/", jobs.employer_detail, name="employment-employer-detail"),
    path("employment/employers/<int:pk>/vacancies/", jobs.vacancy_open, name="employment-vacancy-open"),
    path("employment/vacancies/", jobs.vacancy_list, name="employment-vacancy-list"),
    path("employment/vacancies/<int:pk>/", jobs.vacancy_detail, name="employment-vacancy-detail"),
    path("employment/seekers/", jobs.seeker_list, name="employment-seeker-list"),
    path("employment/seekers/new/", jobs.seeker_create, name="employment-seeker-create"),
    path("employment/seekers/<int:pk>/", jobs.seeker_detail, name="employment-seeker-detail"),
    path("employment/seekers/<int:pk>/refer/", jobs.seeker_refer, name="employment-seeker-refer"),
    path("employment/referrals/<int:pk>/place/", jobs.referral_place, name="employment-referral-place"),
    path("employment/referrals/<int:pk>/not-hired/", jobs.referral_not_hired, name="employment-referral-not-hired"),
    path("employment/placements/", jobs.placement_list, name="employment-placement-list"),
    path("employment/placements/<int:pk>/", jobs.placement_detail, name="employment-placement-detail"),
    path("employment/placements/<int:pk>/permit/", jobs.permit_prepare, name="employment-permit-prepare"),
    path("employment/follow-ups/", jobs.follow_up_list, name="employment-follow-up-list"),
    path("employment/follow-ups/<int:pk>/", jobs.follow_up_record, name="employment-follow-up-record"),
    path("employment/permits/", jobs.permit_list, name="employment-permit-list"),
    path("employment/permits/<int:pk>/", jobs.permit_detail, name="employment-permit-detail"),
    path("employment/permits/<int:pk>/submit/", jobs.permit_submit, name="employment-permit-submit"),
    path("employment/permits/<int:pk>/decide/", jobs.permit_decide, name="employment-permit-decide"),
]
