from django.urls import path

from . import views

app_name = "cash"

urlpatterns = [
    path("cash/", views.programme_list, name="cash-programme-list"),
    path("cash/programmes/new/", views.programme_create, name="cash-programme-create"),
    path("cash/programmes/<int:pk>/", views.programme_detail, name="cash-programme-detail"),
    path("cash/programmes/<int:pk>/rules/", views.rules_add, name="cash-rules-add"),
    path("cash/programmes/<int:pk>/targeting/", views.targeting_start, name="cash-targeting-start"),
    path("cash/targeting/<int:pk>/", views.run_detail, name="cash-run-detail"),
    path("cash/targeting/<int:pk>/enrol/", views.run_enrol, name="cash-run-enrol"),
    path("cash/cycles/", views.cycle_list, name="cash-cycle-list"),
    path("cash/cycles/new/", views.cycle_create, name="cash-cycle-create"),
    path("cash/cycles/<int:pk>/", views.cycle_detail, name="cash-cycle-detail"),
    path("cash/cycles/<int:pk>/verify/", views.cycle_verify, name="cash-cycle-verify"),
    path("cash/cycles/<int:pk>/send-back/", views.cycle_send_back, name="cash-cycle-send-back"),
    path("cash/cycles/<int:pk>/approve/", views.cycle_approve, name="cash-cycle-approve"),
    path("cash/cycles/<int:pk>/payment-file/", views.cycle_payment_file, name="cash-cycle-payment-file"),
    path("cash/cycles/<int:pk>/report/", views.cycle_report, name="cash-cycle-report"),
    path("cash/cycles/<int:pk>/close/", views.cycle_close, name="cash-cycle-close"),
    path("cash/cycles/<int:pk>/payments/<int:payment_id>/release/", views.payment_release, name="cash-payment-release"),
    path("cash/cycles/<int:pk>/monitoring/", views.pdm_sample, name="cash-pdm-sample"),
    path("cash/cycles/<int:pk>/monitoring/draw/", views.pdm_draw, name="cash-pdm-draw"),
    path("cash/cycles/<int:pk>/monitoring/form/", views.pdm_form, name="cash-pdm-form"),
    path("cash/check-file/", views.check_file, name="cash-check-file"),
]
