from django.urls import path

from liman.core.lists import export_urls

from . import views

app_name = "health"

urlpatterns = [
    path("health/", views.assessment_list, name="health-assessment-list"),
    *export_urls("health/export", views.assessment_export, "health-assessment-export"),
    path("health/assessments/<str:reference>/", views.assessment_detail, name="health-assessment-detail"),
    path("health/people/<str:reference>/assess/", views.assessment_request, name="health-assessment-request"),
    path("health/people/<str:reference>/fit-to-fly/", views.fit_to_fly_record, name="health-fit-to-fly-record"),
]
