from django.urls import path

from liman.core.lists import export_urls

from . import views

app_name = "movements"

urlpatterns = [
    path("resettlement/", views.board, name="resettlement-board"),
    path("resettlement/cases/", views.case_list, name="resettlement-case-list"),
    path("resettlement/cases/new/", views.case_open, name="resettlement-case-open"),
    path("resettlement/cases/<str:reference>/", views.case_detail, name="resettlement-case-detail"),
    path("resettlement/cases/<str:reference>/step/", views.case_step, name="resettlement-case-step"),
    path("resettlement/cases/<str:reference>/decision/", views.case_decision, name="resettlement-case-decision"),
    path("resettlement/cases/<str:reference>/documents/", views.case_document, name="resettlement-case-document"),
    path("resettlement/cases/<str:reference>/book/", views.case_book, name="resettlement-case-book"),
    path("resettlement/cases/<str:reference>/split/", views.case_split_approve, name="resettlement-case-split"),
    path("resettlement/missions/", views.mission_list, name="resettlement-mission-list"),
    path("resettlement/missions/<str:reference>/", views.mission_detail, name="resettlement-mission-detail"),
    path("resettlement/orientation/", views.session_list, name="resettlement-session-list"),
    path("resettlement/orientation/<str:reference>/", views.session_detail, name="resettlement-session-detail"),
    path("resettlement/reunification/", views.reunification_list, name="reunification-case-list"),
    path("resettlement/reunification/new/", views.reunification_open, name="reunification-case-open"),
    path("resettlement/reunification/<str:reference>/", views.reunification_detail, name="reunification-case-detail"),
    path("movements/flights/", views.flight_list, name="movements-flight-list"),
    path("movements/bookings/", views.booking_list, name="movements-booking-list"),
    *export_urls("movements/bookings/export", views.booking_export, "movements-booking-export"),
    path("movements/calendar/", views.departures_calendar, name="movements-calendar"),
    path("movements/flights/<str:reference>/", views.flight_detail, name="movements-flight-detail"),
    path("movements/flights/<str:reference>/manifest.pdf", views.manifest_pdf, name="movements-manifest-pdf"),
    path("movements/flights/<str:reference>/manifest.xlsx", views.manifest_xlsx, name="movements-manifest-xlsx"),
]
