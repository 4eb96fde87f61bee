from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("stock/", views.stock_overview, name="stock-overview"),
    path("stock/report.xlsx", views.stock_report, name="stock-report"),
    path("stock/transfers/", views.transfer_list, name="stock-transfer-list"),
    path("stock/transfers/<int:pk>/receive/", views.transfer_receive, name="stock-transfer-receive"),
    path("stock/losses/<int:pk>/approve/", views.loss_decide, {"decision": "approve"}, name="stock-loss-approve"),
    path("stock/losses/<int:pk>/reject/", views.loss_decide, {"decision": "reject"}, name="stock-loss-reject"),
    path("stock/locations/<int:pk>/", views.location_detail, name="stock-location"),
    path("stock/locations/<int:pk>/receive/", views.stock_receive, name="stock-receive"),
    path("stock/locations/<int:pk>/transfer/", views.transfer_dispatch, name="stock-transfer"),
    path("stock/locations/<int:pk>/loss/", views.loss_report, name="stock-loss"),
    path("stock/locations/<int:pk>/count/", views.stock_count, name="stock-count"),
    path("stock/locations/<int:location_id>/items/<int:item_id>/", views.stock_card, name="stock-card"),
]

urlpatterns += [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_create, name="incident-create"),
    path("incidents/figures/", views.incident_figures, name="incident-figures"),
    path("incidents/figures/people-met.csv", views.incident_figures_hxl, name="incident-figures-hxl"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
]

urlpatterns += [
    path("stock/locations/new/", views.location_create, name="stock-location-create"),
    path("stock/items/new/", views.item_create, name="stock-item-create"),
    path("distributions/", views.distribution_list, name="distribution-list"),
    path("distributions/new/", views.distribution_create, name="distribution-create"),
    path("distributions/<int:pk>/", views.distribution_detail, name="distribution-detail"),
    path("distributions/<int:pk>/select/", views.distribution_select, name="distribution-select"),
    path("distributions/<int:pk>/open/", views.distribution_open, name="distribution-open"),
    path("distributions/<int:pk>/close/", views.distribution_close, name="distribution-close"),
    path("distributions/<int:pk>/verify/", views.distribution_verify, name="distribution-verify"),
    path(
        "distributions/<int:pk>/entitlements/<int:entitlement_id>/receive/",
        views.entitlement_receive,
        name="distribution-receive",
    ),
    path("distributions/<int:pk>/cards.pdf", views.distribution_cards, name="distribution-cards"),
]
