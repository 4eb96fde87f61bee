from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("stock/items", api.ItemViewSet, basename="stock-item")
router.register("stock/locations", api.StockLocationViewSet, basename="stock-location")
router.register("stock/balances", api.StockBalanceViewSet, basename="stock-balance")
router.register("stock/entries", api.LedgerEntryViewSet, basename="stock-entry")
router.register("incidents", api.FieldIncidentViewSet, basename="incident")
router.register("distributions/entitlements", api.EntitlementViewSet, basename="entitlement")
router.register("distributions", api.DistributionPlanViewSet, basename="distribution")

urlpatterns = router.urls
