from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("api/secrets", views.SecretViewSet, basename="vault-secret")

urlpatterns = [
    path("secrets/", views.secret_list, name="vault-secret-list"),
    path("secrets/<int:pk>/", views.secret_detail, name="vault-secret-detail"),
    *router.urls,
]
