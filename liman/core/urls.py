from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/second-factor/", views.second_factor, name="second-factor"),
    path("account/api-token/", views.api_token, name="api-token"),
    path("health", views.health, name="health"),
    path("offices/", views.office_list, name="office-list"),
    # Before `offices/<code>/`: "NEW" is refused as an office code.
    path("offices/new/", views.office_new, name="office-new"),
    path("offices/<str:code>/", views.office_detail, name="office-detail"),
    path("offices/<str:code>/edit/", views.office_edit, name="office-edit"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<str:username>/", views.staff_detail, name="staff-detail"),
    path("staff/<str:username>/edit/", views.staff_edit, name="staff-edit"),
    path("staff/<str:username>/deactivate/", views.staff_deactivate, name="staff-deactivate"),
    path("staff/<str:username>/reactivate/", views.staff_reactivate, name="staff-reactivate"),
    path("staff/<str:username>/password/", views.staff_password, name="staff-password"),
    path("staff/<str:username>/grants/<int:grant_id>/revoke/", views.role_grant_revoke_view, name="role-grant-revoke"),
    path(
        "staff/<str:username>/grants/<int:grant_id>/approve/", views.role_grant_approve_view, name="role-grant-approve"
    ),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify_start, name="audit-verify"),
    path("audit/<int:seq>/", views.audit_detail, name="audit-detail"),
    path("tasks/<uuid:pk>/", views.task_detail, name="task-detail"),
    path("map/", views.map_page, name="map"),
    path("map/provinces.geojson", views.map_provinces, name="map-provinces"),
    path("map/counts.json", views.map_counts, name="map-counts"),
    # liman.core.import_urls: its routes share this namespace.
    path("", include("liman.core.import_urls")),
]
