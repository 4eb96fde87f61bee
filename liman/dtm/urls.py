from django.urls import path

from . import openrosa_views, views

app_name = "dtm"

urlpatterns = [
    path("dtm/", views.home, name="dtm-home"),
    path("dtm/operations/new/", views.operation_create, name="dtm-operation-create"),
    path("dtm/operations/<int:pk>/", views.operation_dashboard, name="dtm-operation"),
    path("dtm/operations/<int:pk>/data.json", views.operation_data, name="dtm-operation-data"),
    path("dtm/operations/<int:pk>/export/", views.operation_export, name="dtm-operation-export"),
    path("dtm/operations/<int:pk>/rounds/new/", views.round_create, name="dtm-round-create"),
    path("dtm/sites/<str:site_id>/", views.site_detail, name="dtm-site"),
    path("dtm/map/districts.geojson", views.district_geojson, name="dtm-districts"),
    path("dtm/forms/", views.form_list, name="dtm-forms"),
    path("dtm/forms/<int:pk>/", views.form_detail, name="dtm-form"),
    path("dtm/forms/<int:pk>/mapping/", views.form_mapping, name="dtm-form-mapping"),
    path("dtm/forms/<int:pk>/dataset/", views.form_dataset, name="dtm-form-dataset"),
    path("dtm/forms/<int:pk>/import/", views.form_import, name="dtm-form-import"),
    path("dtm/forms/<int:pk>/submissions/export/", views.form_submissions_export, name="dtm-form-export"),
    path("dtm/imports/<uuid:pk>/", views.import_detail, name="dtm-import"),
    path("dtm/forms/versions/<int:pk>/xlsform/", views.form_xlsform, name="dtm-form-xlsform"),
    path("dtm/submissions/", views.submission_list, name="dtm-submissions"),
    path("dtm/submissions/<int:pk>/", views.submission_detail, name="dtm-submission"),
    path("dtm/submissions/<int:pk>/retry/", views.submission_retry, name="dtm-submission-retry"),
    path("dtm/submissions/<int:pk>/dismiss/", views.submission_dismiss, name="dtm-submission-dismiss"),
    path("dtm/submissions/<int:pk>/correct/", views.submission_correct, name="dtm-submission-correct"),
    path("dtm/attachments/<int:pk>/", views.submission_attachment, name="dtm-attachment"),
    path("dtm/field-users/", views.field_user_list, name="dtm-field-users"),
    path("dtm/field-users/<int:pk>/", views.field_user_detail, name="dtm-field-user"),
    # OpenRosa, for ODK Collect and KoboCollect: the server URL they are given is /openrosa.
    path("openrosa", openrosa_views.base, name="openrosa-base"),
    path("openrosa/formList", openrosa_views.form_list, name="openrosa-form-list"),
    path("openrosa/forms/<int:pk>/form.xml", openrosa_views.form_download, name="openrosa-form"),
    path("openrosa/forms/<int:pk>/manifest", openrosa_views.form_manifest, name="openrosa-manifest"),
    path("openrosa/forms/<int:pk>/media/<str:filename>", openrosa_views.form_media, name="openrosa-media"),
    path("openrosa/submission", openrosa_views.submission, name="openrosa-submission"),
]
