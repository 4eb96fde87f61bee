from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("activities", api.ActivityViewSet, basename="activity")

urlpatterns = router.urls
