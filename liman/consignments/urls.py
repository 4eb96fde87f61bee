from django.urls import path

from . import views

app_name = "consignments"

urlpatterns = [
    path("consignments/", views.consignment_list, name="consignment-list"),
    path("consignments/new/", views.consignment_create, name="consignment-create"),
    path("consignments/export.xlsx", views.consignment_export, name="consignment-export"),
    path("consignments/<int:pk>/", views.consignment_detail, name="consignment-detail"),
    path("consignments/<int:pk>/trucks/new/", views.truck_add, name="consignment-truck-add"),
    path("consignments/<int:pk>/loaded/", views.consignment_load, name="consignment-loaded"),
    path("consignments/<int:pk>/dispatch/", views.consignment_dispatch, name="consignment-dispatch"),
    path("consignments/<int:pk>/cancel/", views.consignment_cancel, name="consignment-cancel"),
    path("consignments/<int:pk>/handover/", views.handover_record, name="consignment-handover"),
    path("consignments/<int:pk>/report/", views.report_form, name="consignment-report"),
    path("consignments/<int:pk>/report/upload/", views.report_upload, name="consignment-report-upload"),
    path("consignments/<int:pk>/report/template.xlsx", views.report_template, name="consignment-report-template"),
    path("consignments/trucks/<int:pk>/check/", views.crossing_check, name="consignment-truck-check"),
    path("consignments/trucks/<int:pk>/return/", views.truck_return, name="consignment-truck-return"),
    path("consignments/uploads/<int:pk>/", views.upload_detail, name="consignment-upload"),
    path("consignments/uploads/<int:pk>/commit/", views.upload_commit, name="consignment-upload-commit"),
    path("consignments/uploads/<int:pk>/discard/", views.upload_discard, name="consignment-upload-discard"),
    path("consignments/uploads/<int:pk>/rows/<int:row_number>/", views.upload_row, name="consignment-upload-row"),
]
