from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("match-pairs", api.MatchPairViewSet, basename="match-pair")

urlpatterns = router.urls
