from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("grant-calls", api.CallViewSet, basename="grant-call")
router.register("grant-applications", api.ApplicationViewSet, basename="grant-application")
router.register("grant-agreements", api.AgreementViewSet, basename="grant-agreement")
router.register("job-seekers", api.SeekerViewSet, basename="job-seeker")
router.register("vacancies", api.VacancyViewSet, basename="vacancy")
router.register("placements", api.PlacementViewSet, basename="placement")
router.register("work-permits", api.PermitViewSet, basename="work-permit")

urlpatterns = router.urls
