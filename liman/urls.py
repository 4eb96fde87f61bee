from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("", include("liman.core.urls")),
    path("", include("liman.registry.urls")),
    path("", include("liman.dedup.urls")),
    path("", include("liman.health.urls")),
    path("", include("liman.movements.urls")),
    path("", include("liman.cases.urls")),
    path("", include("liman.messaging.urls")),
    path("", include("liman.assistance.urls")),
    path("", include("liman.cash.urls")),
    path("", include("liman.consignments.urls")),
    path("", include("liman.feedback.urls")),
    path("", include("liman.activities.urls")),
    path("", include("liman.livelihoods.urls")),
    path("", include("liman.dtm.urls")),
    path("", include("liman.reporting.urls")),
    path("", include("liman.privacy.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/", include(("liman.core.api_urls", "api"))),
    path("api/", include(("liman.registry.api_urls", "api-registry"))),
    path("api/", include(("liman.dedup.api_urls", "api-dedup"))),
    path("api/", include(("liman.health.api_urls", "api-health"))),
    path("api/", include(("liman.movements.api_urls", "api-movements"))),
    path("api/", include(("liman.cases.api_urls", "api-cases"))),
    path("api/", include(("liman.assistance.api_urls", "api-assistance"))),
    path("api/", include(("liman.cash.api_urls", "api-cash"))),
    path("api/", include(("liman.consignments.api_urls", "api-consignments"))),
    path("api/", include(("liman.activities.api_urls", "api-activities"))),
    path("api/", include(("liman.livelihoods.api_urls", "api-livelihoods"))),
    path("api/", include(("liman.dtm.api_urls", "api-dtm"))),
    path("api/", include(("liman.reporting.api_urls", "api-reporting"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
]

# The database unreachable (restarting): 503 with Retry-After instead of a 500 (liman/core/unavailable.py).
handler500 = "liman.core.unavailable.server_error"
