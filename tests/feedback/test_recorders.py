"""Every role that may record feedback, for every category: after saving, the recorder lands on a page they can
open and is told truly where the feedback went (the PSEA focal points for abuse, fraud and staff conduct; otherwise
the office's feedback team, or the feedback's own page when they may read it)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from liman.feedback.choices import PROTECTED_CATEGORIES, Category
from liman.feedback.models import Feedback
from liman.feedback.permissions import FEEDBACK_RECORD_ROLES
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", sorted(FEEDBACK_RECORD_ROLES))
def test_each_recorder_is_told_where_the_feedback_went_and_lands_on_a_page_they_can_open(
    client, istanbul, role, settings
):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    recorder = staff(role, istanbul, username=f"recorder-{role}")
    client.force_login(recorder)
    for category in Category.values:
        response = client.post(reverse("feedback:feedback-create"), {
            "office": istanbul.pk, "channel": "desk", "category": category, "priority": "normal",
            "summary": f"A {category} complaint", "anonymous": "on",
        })  # fmt: skip
        assert response.status_code == 302, f"{role}, {category}: the feedback was not recorded"
        feedback = Feedback.objects.order_by("-pk").first()
        told = " ".join(str(message) for message in get_messages(response.wsgi_request))
        assert feedback.reference in told
        if Feedback.objects.visible_to(recorder).filter(pk=feedback.pk).exists():
            assert response["Location"] == reverse("feedback:feedback-detail", args=[feedback.reference])
        elif category in PROTECTED_CATEGORIES:
            assert "PSEA focal points only" in told, f"{role}, {category}: {told}"
        else:
            assert "PSEA" not in told, f"{role} was told a {category} complaint went to the PSEA focal points"
        landed = client.get(response["Location"])
        assert landed.status_code == 200, (
            f"{role}, {category}: redirected to {response['Location']} ({landed.status_code})"
        )
