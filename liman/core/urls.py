from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/second-factor/", views.second_factor, name="second-factor"),
    path("account/api-token/", views.api_token, name="api-token"),
    path("health", views.health, name="health"),
    path("offices/", views.office_list, name="office-list"),
    path("offices/<str:code>/", views.office_detail, name="office-detail"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<str:username>/", views.staff_detail, name="staff-detail"),
    path("staff/<str:username>/grants/<int:grant_id>/revoke/", views.role_grant_revoke_view, name="role-grant-revoke"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify_start, name="audit-verify"),
    path("audit/<int:seq>/", views.audit_detail, name="audit-detail"),
    path("tasks/<uuid:pk>/", views.task_detail, name="task-detail"),
    path("map/", views.map_page, name="map"),
    path("map/provinces.geojson", views.map_provinces, name="map-provinces"),
    path("map/counts.json", views.map_counts, name="map-counts"),
]
