"""Registry pages (being built)."""

from django.shortcuts import render


def person_search(request):
    return render(request, "registry/person_search.html", {})
