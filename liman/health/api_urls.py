from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.include_root_view = False
router.register("health-assessments", api.HealthAssessmentViewSet, basename="health-assessment")
router.register("medical-clearances", api.MedicalClearanceViewSet, basename="medical-clearance")

urlpatterns = router.urls
