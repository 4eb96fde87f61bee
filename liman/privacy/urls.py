from django.urls import path

from . import views

urlpatterns = [
    path("privacy/retention/", views.schedules, name="privacy-schedules"),
    path("privacy/retention/<str:kind>/", views.schedule_edit, name="privacy-schedule-edit"),
    path("privacy/holds/", views.holds, name="privacy-holds"),
    path("privacy/holds/<int:pk>/lift/", views.hold_lift, name="privacy-hold-lift"),
    path("privacy/breaches/", views.breaches, name="privacy-breaches"),
    path("privacy/reads.xlsx", views.reads_xlsx, name="privacy-reads-xlsx"),
    path("privacy/data-map/", views.data_map, name="privacy-data-map"),
]
