from django.urls import path

from . import views

app_name = "dedup"

urlpatterns = [
    path("duplicates/", views.queue, name="dedup-queue"),
    path("duplicates/pairs/<int:pk>/", views.pair_detail, name="dedup-pair"),
    path("duplicates/pairs/<int:pk>/decide/", views.pair_decide, name="dedup-pair-decide"),
    path("duplicates/runs/", views.run_list, name="dedup-runs"),
    path("duplicates/runs/start/", views.run_start, name="dedup-run-start"),
    path("duplicates/runs/<int:pk>/", views.run_detail, name="dedup-run"),
    path("duplicates/thresholds/", views.thresholds, name="dedup-thresholds"),
]
