"""Addresses of imports through staging, in core's namespace: liman/core/urls.py includes them
(`reverse("core:import-list")`)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("imports/", import_views.import_list, name="import-list"),
    path("imports/new/", import_views.import_new, name="import-new"),
    # `import_kind`, not `kind`: the access walk fills a `kind` from records (a batch's kind), and a template is
    # not a record: it is the same for every office.
    path("imports/template/<slug:import_kind>.xlsx", import_views.import_template_xlsx, name="import-template-xlsx"),
    path("imports/template/<slug:import_kind>.csv", import_views.import_template_csv, name="import-template-csv"),
    path("imports/progress/<uuid:pk>/", import_views.import_progress, name="import-progress"),
    path("imports/<uuid:pk>/", import_views.import_detail, name="import-detail"),
    path("imports/<uuid:pk>/problems.csv", import_views.import_problems, name="import-problems"),
    path("imports/<uuid:pk>/commit/", import_views.import_commit_view, name="import-commit"),
    path("imports/<uuid:pk>/discard/", import_views.import_discard_view, name="import-discard"),
    path("imports/<uuid:pk>/recheck/", import_views.import_recheck_view, name="import-recheck"),
    path("imports/<uuid:pk>/rows/<int:row_number>/", import_views.import_row, name="import-row"),
    path(
        "imports/<uuid:pk>/rows/<int:row_number>/leave-out/",
        import_views.import_row_leave_out_view,
        name="import-row-leave-out",
    ),
]
