"""Demo grants: a call for small businesses in İstanbul and one in Gaziantep, applications from registered owners
and light ones, in every state: with the panel, scored (one member declared a conflict), approved by a committee
member who did not prepare it, rejected, under agreement with a tranche paid and a monitoring visit (one with its
second tranche approved for payment through the cash part's PTT file), completed; the monitoring-visit form published
in each office."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from liman.core.choices import Role
from liman.core.demo import demo_username
from liman.core.models import Office, User
from liman.registry.models import Person

from . import services
from .models import GrantCall
from .rules import vkn_with_checksum

BUSINESSES = [
    ("Halep Sweets", "food_service"), ("Anadolu Tailoring", "manufacturing"), ("Kilis Olive Press", "agriculture"),
    ("Phone Repair Corner", "services"), ("Bakery Nour", "food_service"), ("Digital Print Studio", "digital"),
]  # fmt: skip
CRITERIA = [("Viability of the business plan", 40), ("Jobs for refugees and host community", 35),
            ("Women's ownership or employment", 25)]  # fmt: skip


def _user(role: str, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def seed_livelihoods(rng: random.Random, seed: int) -> None:
    if GrantCall.objects.exists():
        return
    today = timezone.localdate()
    for code, max_amount in (("IST", 150_000), ("GAZ", 120_000)):
        office = Office.objects.filter(code=code).first()
        if office is None:
            continue
        officer, supervisor = _user(Role.PROGRAMME_OFFICER, code), _user(Role.SUPERVISOR, code)
        caseworker, approver = _user(Role.CASEWORKER, code), _user(Role.CASH_APPROVER, code)
        call = services.call_open(
            office=office, title=f"Small-business recovery grants {today.year}", max_amount=max_amount,
            opens_on=today - datetime.timedelta(days=90), closes_on=today - datetime.timedelta(days=45),
            donor_project="DE-LIV-2026-01", by=officer,
        )  # fmt: skip
        for name, weight in CRITERIA:
            services.criterion_add(call=call, name=name, weight=weight, by=officer)
        for member in (supervisor, caseworker):
            services.panel_add(call=call, member=member, by=officer)
        owners = list(Person.objects.filter(office=office, sensitivity="normal", merged_into__isnull=True)[:3])
        for number, (business, sector) in enumerate(BUSINESSES):
            owner = owners[number] if number < len(owners) else None
            formal = number % 2 == 0
            application = services.application_submit(
                call=call, by=officer,
                data=services.ApplicationInput(
                    business_name=f"{business} ({code})", sector=sector,
                    registration="formal" if formal else "informal", owner=owner,
                    owner_name="" if owner else rng.choice(["Derya Koç", "Omar Haddad", "Leyla Karimi"]),
                    owner_sex="" if owner else rng.choice("FM"), owner_nationality="" if owner else "SYR",
                    tax_kind="vkn" if formal else "",
                    tax_number=vkn_with_checksum(f"{rng.randrange(10**9):09d}") if formal else "",
                    requested_amount=Decimal(rng.randrange(40, max_amount // 1000) * 1000),
                    employees={"syrian_f": rng.randint(0, 3), "syrian_m": rng.randint(0, 4),
                               "turkish_f": rng.randint(0, 2), "turkish_m": rng.randint(0, 2)},
                    plan="Buy equipment, hire two workers and register with the chamber.",
                ),
            )  # fmt: skip
            if number == 5:
                continue  # waits for the panel
            services.application_to_panel(application=application, by=officer)
            if number == 4:
                services.conflict_declare(application=application, member=caseworker, note="The owner is a cousin.")
            scorers = (supervisor,) if number == 4 else (supervisor, caseworker)
            for member in scorers:
                values = {c.pk: rng.randint(4, c.max_score) for c in call.criteria.all()}
                services.scores_record(application=application, member=member, values=values)
            if number == 3:
                continue  # scores in, scoring not closed
            services.scoring_close(application=application, by=officer)
            if number == 2:
                services.application_reject(application=application, by=approver, reason="Plan not viable yet.")
                continue
            if number == 4:
                continue  # scored, with the committee
            services.application_approve(application=application, by=approver)
            application.refresh_from_db()
            amount = application.requested_amount
            half = (amount / 2).quantize(Decimal("1"))
            agreement = services.agreement_sign(
                application=application, amount=amount, signed_on=today - datetime.timedelta(days=30), by=officer,
                tranches=[(half, "Equipment bought and invoiced"), (amount - half, "Two workers hired and insured")],
            )  # fmt: skip
            first, second = agreement.tranches.order_by("number")
            services.tranche_milestone_met(tranche=first, evidence="Invoices seen", met_on=today - datetime.timedelta(
                days=20), by=officer)  # fmt: skip
            services.tranche_pay(tranche=first, paid_on=today - datetime.timedelta(days=18),
                                 payment_reference=f"EFT-{rng.randrange(10**6):06d}", by=approver)  # fmt: skip
            services.visit_record(agreement=agreement, visited_on=today - datetime.timedelta(days=5),
                                  jobs_created=rng.randint(1, 3), jobs_retained=rng.randint(2, 5), by=officer,
                                  note="Machines in use; two new workers met.")  # fmt: skip
            if number == 0:
                services.tranche_milestone_met(tranche=second, evidence="SGK records of two workers",
                                               met_on=today - datetime.timedelta(days=4), by=officer)  # fmt: skip
                services.tranche_pay(tranche=second, paid_on=today - datetime.timedelta(days=2),
                                     payment_reference=f"EFT-{rng.randrange(10**6):06d}", by=approver)  # fmt: skip
                services.application_complete(application=application, by=officer)
            if number == 1:
                # The second tranche goes through the cash part: approved for PTT, waiting for the provider's report.
                services.tranche_milestone_met(tranche=second, evidence="SGK records of two workers",
                                               met_on=today - datetime.timedelta(days=3), by=officer)  # fmt: skip
                services.tranche_payable(tranche=second, provider="ptt_csv", by=approver)
        services.visit_form_publish(office=office, by=officer)


def seed_employment(rng: random.Random, seed: int) -> None:
    """Employers, vacancies (one in seasonal agriculture), job seekers referred, placed and followed up, and work
    permits the employers applied for: prepared, submitted, granted; a seasonal-agriculture exemption."""
    from . import employment
    from .models import Employer

    if Employer.objects.exists():
        return
    today = timezone.localdate()
    for code, employer_name, sector in (("IST", "Marmara Tekstil A.Ş.", "manufacturing"),
                                        ("GAZ", "Nizip Tarım Kooperatifi", "agriculture")):  # fmt: skip
        office = Office.objects.filter(code=code).first()
        if office is None:
            continue
        officer = _user(Role.PROGRAMME_OFFICER, code)
        employer = employment.employer_add(
            office=office, name=employer_name, province=office.province, sector=sector,
            tax_number=vkn_with_checksum(f"{rng.randrange(10**9):09d}"), turkish_employees=rng.randint(25, 60),
            by=officer,
        )  # fmt: skip
        seasonal = sector == "agriculture"
        vacancy = employment.vacancy_open(
            employer=employer, title="Pistachio harvest worker" if seasonal else "Sewing machine operator",
            monthly_wage=Decimal(28000), positions=4, seasonal_agriculture=seasonal, by=officer,
        )  # fmt: skip
        people = Person.objects.filter(office=office, sensitivity="normal", merged_into__isnull=True, sex="M")
        for number, person in enumerate(people.order_by("pk")[:4]):
            seeker = employment.job_seeker_register(
                person=person, skills="Harvesting, pruning" if seasonal else "Overlock and flatlock machines",
                languages="ar, tr (A2)", by=officer,
            )  # fmt: skip
            referral = employment.refer(seeker=seeker, vacancy=vacancy, by=officer)
            if number == 3:
                employment.referral_not_hired(referral=referral, by=officer, reason="Chose another candidate.")
                continue
            started = today - datetime.timedelta(days=100 + 30 * number)
            placement = employment.place(referral=referral, started_on=started, monthly_wage=28000, by=officer)
            for follow_up in placement.follow_ups.filter(due_on__lte=today):
                employment.follow_up_record(follow_up=follow_up, still_employed=rng.random() < 0.8, by=officer,
                                            done_on=follow_up.due_on)  # fmt: skip
            problems = employment.permit_problems(
                person=person, employer=employer, monthly_wage=28000, on=today,
                kind="seasonal_exemption" if seasonal else "permit",
            )  # fmt: skip
            if problems:
                continue
            permit = employment.permit_prepare(
                person=person, employer=employer, placement=placement, monthly_wage=28000,
                seasonal_agriculture=seasonal, by=officer,
            )  # fmt: skip
            if number >= 1:
                employment.permit_submit(permit=permit, submitted_on=started, by=officer)
            if number == 2:
                employment.permit_decide(permit=permit, granted=True, decided_on=started + datetime.timedelta(days=20),
                                         reference=f"ÇSGB-{rng.randrange(10**6):06d}", by=officer)  # fmt: skip
