from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("consignments", api.ConsignmentViewSet, basename="consignment")

urlpatterns = router.urls
