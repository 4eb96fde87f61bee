from django.urls import path, register_converter

from . import views


class _Format:
    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Format, "fourw_format")

app_name = "reporting"

urlpatterns = [
    path("reporting/4w/", views.fourw_page, name="fourw"),
    path("reporting/4w/submit/", views.fourw_submit, name="fourw-submit"),
    path("reporting/4w/<str:month>.<fourw_format:fmt>", views.fourw_download, name="fourw-download"),
    path("reporting/projects/", views.project_list, name="project-list"),
    path("reporting/projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("reporting/projects/<int:pk>/records/", views.project_records, name="project-records"),
    path("reporting/projects/<int:pk>/dashboard/", views.project_dashboard, name="project-dashboard"),
    path("reporting/projects/<int:pk>/dashboard/map.json", views.project_dashboard_map, name="project-dashboard-map"),
    path(
        "reporting/projects/<int:pk>/dashboard/export/", views.project_dashboard_export, name="project-dashboard-export"
    ),  # fmt: skip
    path("reporting/tagging/", views.project_tags, name="project-tags"),
    path("reporting/dashboard/", views.dashboard, name="reporting-dashboard"),
    path("reporting/dashboard/map.json", views.dashboard_map, name="reporting-dashboard-map"),
    path("reporting/dashboard/export/", views.dashboard_export, name="reporting-dashboard-export"),
    path("reporting/reports/", views.donor_report_list, name="donor-report-list"),
    path("reporting/reports/<int:pk>/", views.donor_report_detail, name="donor-report-detail"),
    path(
        "reporting/reports/<int:pk>/issues/<int:number>.<str:fmt>",
        views.donor_report_download,
        name="donor-report-download",
    ),  # fmt: skip
]
