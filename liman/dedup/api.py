"""REST API of duplicate detection: the pairs the caller may see (both people), and a decision on one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from liman.core.api import ScopedReadOnlyViewSet

from . import permissions, selectors, services
from .choices import DECISIONS, MatchBand, MatchStatus
from .models import MatchPair


class MatchPairSerializer(serializers.ModelSerializer):
    person_l = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    person_r = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    office_l = serializers.CharField(source="person_l.office.code", read_only=True)
    office_r = serializers.CharField(source="person_r.office.code", read_only=True)
    survivor = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = MatchPair
        fields = [
            "id", "person_l", "person_r", "office_l", "office_r", "match_probability", "band", "status",
            "found_by", "model_version", "decided_by", "decided_at", "survivor", "reason", "created_at",
        ]  # fmt: skip


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(value, MatchStatus(value).label) for value in DECISIONS])
    survivor = serializers.CharField(
        required=False, allow_blank=True, max_length=24, help_text="Reference of the record to keep (same person)."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class MatchPairViewSet(ScopedReadOnlyViewSet):
    """Possible duplicates whose two people the caller may both see, most likely first.
    `?status=open`, `?band=auto_link` and `?office=IST` narrow the list."""

    serializer_class = MatchPairSerializer
    queryset = MatchPair.objects.all()

    def get_queryset(self):
        params = self.request.query_params
        band, status = params.get("band", ""), params.get("status", "")
        return selectors.match_pairs_for(
            self.request.user,
            band=band if band in MatchBand.values else "",
            status=status if status in MatchStatus.values else "",
            office=params.get("office", "")[:8],
        ).select_related("survivor")

    @extend_schema(
        parameters=[OpenApiParameter("status", str), OpenApiParameter("band", str), OpenApiParameter("office", str)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DecisionSerializer, responses=MatchPairSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs):
        """Same person (merges the other record into the survivor, by default the older one) or different people.
        Supervisors and administrators of both records' offices; a decided pair is not asked again."""
        pair = self.get_object()
        if not permissions.may_decide(request.user, pair):
            raise PermissionDenied("Only supervisors and administrators of both records' offices decide a pair.")
        given = DecisionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        survivor = None
        reference = given.validated_data.get("survivor", "").strip().upper()
        if reference:
            survivor = next((p for p in (pair.person_l, pair.person_r) if p.reference == reference), None)
            if survivor is None:
                raise ValidationError({"survivor": "Give the reference of one of the two records of the pair."})
        try:
            services.match_pair_decide(
                pair=pair,
                decision=given.validated_data["decision"],
                survivor=survivor,
                reason=given.validated_data.get("reason", ""),
                by=request.user,
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError({"detail": exc.messages}) from exc
        pair = selectors.match_pairs_for(request.user).select_related("survivor").filter(pk=pair.pk).first() or pair
        return Response(MatchPairSerializer(pair).data)
