from django.urls import path

from . import views

urlpatterns = [
    path("health/", views.assessment_list, name="health-assessment-list"),
    path("health/assessments/<str:reference>/", views.assessment_detail, name="health-assessment-detail"),
    path("health/people/<str:reference>/assess/", views.assessment_request, name="health-assessment-request"),
    path("health/people/<str:reference>/fit-to-fly/", views.fit_to_fly_record, name="health-fit-to-fly-record"),
]
