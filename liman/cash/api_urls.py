from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cash/programmes", api.CashProgrammeViewSet, basename="cash-programme")
router.register("cash/cycles", api.PaymentCycleViewSet, basename="cash-cycle")
router.register("cash/payments", api.PaymentViewSet, basename="cash-payment")

urlpatterns = router.urls
