from django.urls import path, register_converter

from . import views


class _Format:
    regex = "csv|xlsx"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Format, "fourw_format")

urlpatterns = [
    path("reporting/4w/", views.fourw_page, name="fourw"),
    path("reporting/4w/submit/", views.fourw_submit, name="fourw-submit"),
    path("reporting/4w/<str:month>.<fourw_format:fmt>", views.fourw_download, name="fourw-download"),
    path("reporting/projects/", views.project_list, name="project-list"),
    path("reporting/projects/<int:pk>/", views.project_detail, name="project-detail"),
]
