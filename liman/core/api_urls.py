from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("areas", api.AdminAreaViewSet, basename="area")
router.register("offices", api.OfficeViewSet, basename="office")
router.register("staff", api.StaffViewSet, basename="staff")
router.register("audit-events", api.AuditEventViewSet, basename="audit-event")
router.register("tasks", api.TaskProgressViewSet, basename="task")

urlpatterns = [path("me/", api.MeView.as_view(), name="api-me"), *router.urls]
