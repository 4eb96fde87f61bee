"""Consent to be contacted moves to the registry: each contact preference with a consent date becomes a registry
consent for contact (purpose "contact", legal basis consent, given on that date by who recorded it, how they agreed
as its note), then the preference's own consent columns go. Every check reads the registry's consent from now on."""

from django.db import migrations, models

#: `ConsentHow` as it was when the consent lived on the preference: the note says how the person agreed.
HOW = {"in_person": "In person", "phone": "On a phone call", "form": "On a signed form"}


def consents_to_the_registry(apps, schema_editor):
    ContactPreference = apps.get_model("messaging", "ContactPreference")
    Consent = apps.get_model("registry", "Consent")
    agreed = ContactPreference.objects.filter(consent_on__isnull=False).order_by("pk")
    batch = []
    for preference in agreed.iterator(chunk_size=2000):
        already = Consent.objects.filter(
            person_id=preference.person_id, purpose="contact", given_on=preference.consent_on, withdrawn_on__isnull=True
        ).exists()
        if already:
            continue
        batch.append(
            Consent(
                person_id=preference.person_id,
                purpose="contact",
                legal_basis="consent",
                given_on=preference.consent_on,
                taken_by_id=preference.consent_by_id,
                note=HOW.get(preference.consent_how, preference.consent_how),
            )
        )
        if len(batch) >= 2000:
            Consent.objects.bulk_create(batch)
            batch = []
    Consent.objects.bulk_create(batch)


def consents_back(apps, schema_editor):
    ContactPreference = apps.get_model("messaging", "ContactPreference")
    Consent = apps.get_model("registry", "Consent")
    how_of = {label: value for value, label in HOW.items()}
    current = Consent.objects.filter(purpose="contact", withdrawn_on__isnull=True).order_by("person_id", "given_on")
    for consent in current.iterator(chunk_size=2000):
        ContactPreference.objects.filter(person_id=consent.person_id).update(
            consent_on=consent.given_on, consent_how=how_of.get(consent.note, "form"), consent_by_id=consent.taken_by_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("registry", "0007_consent_contact_activities"),
    ]

    operations = [
        migrations.RunPython(consents_to_the_registry, consents_back),
        migrations.RemoveField(model_name="contactpreference", name="consent_on"),
        migrations.RemoveField(model_name="contactpreference", name="consent_how"),
        migrations.RemoveField(model_name="contactpreference", name="consent_by"),
    ]
