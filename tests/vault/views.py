from django.http import HttpResponse, JsonResponse
from rest_framework import serializers

from liman.core.access import get_visible_or_404
from liman.core.api import ScopedReadOnlyViewSet

from .models import Secret


def secret_list(request):
    return JsonResponse({"titles": [s.title for s in Secret.objects.visible_to(request.user)]})


def secret_detail(request, pk):
    secret = get_visible_or_404(Secret, request.user, pk=pk)
    return HttpResponse(f"<h1>{secret.title}</h1><p>{secret.note}</p>")


class SecretSerializer(serializers.ModelSerializer):
    class Meta:
        model = Secret
        fields = ["id", "title", "note"]


class SecretViewSet(ScopedReadOnlyViewSet):
    serializer_class = SecretSerializer
    queryset = Secret.objects.all()
