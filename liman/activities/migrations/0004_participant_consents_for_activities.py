from django.db import migrations

CHUNK = 500


def consents_for_activities(apps, schema_editor):
    """Consents that enrolments recorded under "registration and case management" (before the registry had a
    purpose for activities) become consents for activities.

    Told apart from a registration consent that an enrolment reused (which stays what it is: the person gave it at
    registration) by the audit log: an enrolment recorded its consent in its own transaction right before the
    participant, and a transaction holds the audit chain's head until it commits, so that consent's creation is the
    event numbered just before the participant's creation. A reused consent was created earlier, elsewhere."""
    Participant = apps.get_model("activities", "Participant")
    Consent = apps.get_model("registry", "Consent")
    AuditEvent = apps.get_model("core", "AuditEvent")
    consent_of = {
        str(pk): consent_id
        for pk, consent_id in Participant.objects.filter(consent__purpose="registration").values_list("pk", "consent")
    }
    participants = sorted(consent_of)
    recorded = set()
    for start in range(0, len(participants), CHUNK):
        enrolled = dict(
            AuditEvent.objects.filter(
                action="create", object_type="activities.participant", object_id__in=participants[start : start + CHUNK]
            ).values_list("seq", "object_id")
        )
        before = AuditEvent.objects.filter(
            seq__in=[seq - 1 for seq in enrolled], action="create", object_type="registry.consent"
        ).values_list("seq", "object_id")
        for seq, consent_id in before:
            if consent_id == str(consent_of[enrolled[seq + 1]]):
                recorded.add(int(consent_id))
    ids = sorted(recorded)
    for start in range(0, len(ids), CHUNK):
        Consent.objects.filter(pk__in=ids[start : start + CHUNK], purpose="registration").update(purpose="activities")


def consents_for_registration(apps, schema_editor):
    """Back as the code before this migration records them: the participants' consents for activities under
    registration."""
    Participant = apps.get_model("activities", "Participant")
    Consent = apps.get_model("registry", "Consent")
    linked = Participant.objects.filter(consent__purpose="activities").values("consent")
    Consent.objects.filter(pk__in=linked).update(purpose="registration")


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_people_reached_rollup"),
        ("registry", "0007_consent_contact_activities"),
        ("core", "0011_scheduled_run_and_task_lease"),
    ]

    operations = [migrations.RunPython(consents_for_activities, consents_for_registration)]
