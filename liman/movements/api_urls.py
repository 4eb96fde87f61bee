from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.include_root_view = False
router.register("resettlement-cases", api.ResettlementCaseViewSet, basename="resettlement-case")
router.register("flights", api.FlightViewSet, basename="flight")
router.register("selection-missions", api.SelectionMissionViewSet, basename="selection-mission")
router.register("orientation-sessions", api.OrientationSessionViewSet, basename="orientation-session")
router.register("reunification-cases", api.ReunificationCaseViewSet, basename="reunification-case")

urlpatterns = router.urls
