from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.include_root_view = False
router.register("people", api.PersonViewSet, basename="person")
router.register("households", api.HouseholdViewSet, basename="household")

urlpatterns = router.urls
