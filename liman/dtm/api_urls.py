from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.include_root_view = False
router.register("dtm/operations", api.OperationViewSet, basename="dtm-operation")
router.register("dtm/sites", api.SiteViewSet, basename="dtm-site")
router.register("dtm/site-assessments", api.SiteAssessmentViewSet, basename="dtm-site-assessment")
router.register("dtm/presence-figures", api.PresenceFigureViewSet, basename="dtm-presence-figure")
router.register("dtm/forms", api.FormViewSet, basename="dtm-form")

urlpatterns = router.urls
