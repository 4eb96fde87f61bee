from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("donor-report-issues", api.DonorReportIssueViewSet, basename="donor-report-issue")

urlpatterns = router.urls
