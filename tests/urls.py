from django.urls import include, path

from liman.urls import urlpatterns as liman_urlpatterns

urlpatterns = [*liman_urlpatterns, path("vault/", include("tests.vault.urls"))]
