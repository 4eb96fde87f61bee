from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("referrals", api.ReferralViewSet, basename="referral")

urlpatterns = router.urls
