from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.person_search, name="person-search"),
]
