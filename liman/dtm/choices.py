"""Choices of field data and DTM / MPM: assessment types, site types, sectors, routes, population groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from liman.core.choices import Role

#: Roles that read forms, submissions and field users of their offices.
FIELD_DATA_ROLES = frozenset({Role.DTM_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR})
#: Roles that upload forms, bind them, manage field users and review submissions.
FIELD_DATA_EDITORS = frozenset({Role.DTM_OFFICER, Role.ADMINISTRATOR})
#: Roles that unlock a field user locked after too many wrong passwords: the office's administrators.
FIELD_USER_UNLOCKERS = frozenset({Role.ADMINISTRATOR})
#: Roles that read the DTM and MPM figures, dashboards and publications.
DTM_READ_ROLES = frozenset(
    {
        Role.DTM_OFFICER,
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
        Role.REPORTING_OFFICER,
        Role.VIEWER,
        Role.PROGRAMME_OFFICER,
    }
)


class FormState(models.TextChoices):
    OPEN = "open", _("Open: listed and accepting submissions")
    CLOSED = "closed", _("Closed: not listed, submissions refused")


class JavaRosaCheck(models.TextChoices):
    """Whether JavaRosa, the form engine of ODK Collect, has checked a form version, and its verdict."""

    PASSED = "passed", _("checked by JavaRosa")
    NOT_CHECKED = "not_checked", _("not checked by JavaRosa")
    REFUSED = "refused", _("refused: ODK Collect cannot use it")


class FormTarget(models.TextChoices):
    """What each submission of a form becomes."""

    NONE = "none", _("Nothing yet (submissions are kept)")
    SITE_ASSESSMENT = "site_assessment", _("Site assessment")
    FLOW_COUNT = "flow_count", _("Flow monitoring count")
    PRESENCE = "presence", _("Migrant presence figures")
    DATASET = "dataset", _("Generic dataset")
    BORDER_INCIDENT = "border_incident", _("Border mobile team's field incident")
    CASH_PDM = "cash_pdm", _("Cash post-distribution monitoring answer")
    MSME_VISIT = "msme_visit", _("Small-business grant monitoring visit")


class SubmissionState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Turned into a record")
    REVIEW = "review", _("Waiting for review")
    SUPERSEDED = "superseded", _("Replaced by an edit")
    DISMISSED = "dismissed", _("Dismissed")


class OperationKind(models.TextChoices):
    EMERGENCY = "emergency", _("Emergency response (site assessments)")
    MOBILITY = "mobility", _("Mobility tracking")
    FLOW = "flow", _("Flow monitoring")
    MPM = "mpm", _("Migrant presence monitoring")


class AssessmentType(models.TextChoices):
    """DTM assessment types (docs/domain.md, "Field data: DTM and MPM")."""

    BASELINE = "baseline", _("Baseline area assessment")
    SITE_ASSESSMENT = "site_assessment", _("Site assessment")
    EMERGENCY_TRACKING = "emergency_tracking", _("Emergency tracking")
    FLOW_MONITORING_COUNT = "flow_monitoring_count", _("Flow monitoring count")
    FLOW_MONITORING_SURVEY = "flow_monitoring_survey", _("Flow monitoring survey")
    REGISTRATION = "registration", _("Registration")
    SURVEY = "survey", _("Survey")


class SiteType(models.TextChoices):
    TENT_CAMP = "tent_camp", _("Tent camp")
    CONTAINER_CITY = "container_city", _("Container city")
    INFORMAL_SITE = "informal_site", _("Informal site")
    COLLECTIVE_CENTRE = "collective_centre", _("Collective centre")
    OTHER = "other", _("Other")


class SiteStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLANNED = "planned", _("Planned")
    CLOSED = "closed", _("Closed")


class Sector(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    FOOD = "food", _("Food")
    WASH = "wash", _("Water, sanitation and hygiene")
    HEALTH = "health", _("Health")
    NFI = "nfi", _("Non-food items")
    PROTECTION = "protection", _("Protection")
    EDUCATION = "education", _("Education")
    LIVELIHOODS = "livelihoods", _("Livelihoods")
    CCCM = "cccm", _("Camp coordination and management")


class Severity(models.IntegerChoices):
    """How severe a need is, on the five-point scale of the inter-sector analysis framework."""

    MINIMAL = 1, _("1 · Minimal")
    STRESSED = 2, _("2 · Stressed")
    SEVERE = 3, _("3 · Severe")
    EXTREME = 4, _("4 · Extreme")
    CATASTROPHIC = 5, _("5 · Catastrophic")


class PopulationGroup(models.TextChoices):
    TEMPORARY_PROTECTION = "temporary_protection", _("Temporary protection")
    INTERNATIONAL_PROTECTION = "international_protection", _("International protection")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    IRREGULAR = "irregular", _("Irregular migrants")
    HOST_COMMUNITY = "host_community", _("Host community (Turkish citizens)")


class AgeGroup(models.TextChoices):
    """DTM's age groups for individuals in sites and flows."""

    CHILDREN_0_4 = "0_4", _("0–4")
    CHILDREN_5_17 = "5_17", _("5–17")
    ADULTS_18_59 = "18_59", _("18–59")
    OLDER_60 = "60", _("60+")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class FlowDirection(models.TextChoices):
    INCOMING = "incoming", _("Incoming")
    OUTGOING = "outgoing", _("Outgoing")
    TRANSIT = "transit", _("Transit")


class FlowBreakdown(models.TextChoices):
    """The breakdowns of flow counts kept month by month for the dashboards (see `FlowMonthly`)."""

    NATIONALITY = "nationality", _("By nationality")
    DISTRICT = "district", _("By district")
    SEX_AGE = "sex_age", _("By sex and age group")


class FlowPointType(models.TextChoices):
    BORDER_CROSSING = "border_crossing", _("Border crossing")
    BUS_STATION = "bus_station", _("Bus station")
    TRANSIT_POINT = "transit_point", _("Transit point")
    COASTAL_POINT = "coastal_point", _("Coastal point")


class FigureSource(models.TextChoices):
    PMM = "pmm", _("Presidency of Migration Management (PMM)")
    COAST_GUARD = "coast_guard", _("Coast Guard Command")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    DTM = "dtm", _("DTM estimate")


class Route(models.TextChoices):
    AEGEAN_SEA = "aegean_sea", _("Aegean Sea")
    LAND_GREECE = "land_greece", _("Land border with Greece")
    LAND_BULGARIA = "land_bulgaria", _("Land border with Bulgaria")
    LAND_IRAN = "land_iran", _("Land border with Iran")


class Authority(models.TextChoices):
    COAST_GUARD = "coast_guard", _("Coast guard")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    POLICE = "police", _("Police")
    PMM = "pmm", _("PMM")


class InterceptionKind(models.TextChoices):
    APPREHENSION = "apprehension", _("Apprehension")
    RESCUE = "rescue", _("Rescue")


#: Sex × age-group columns of a site assessment, in the order they are shown and published.
SEX_AGE_FIELDS = [f"{sex.lower()}_{age}" for sex in ("F", "M") for age in AgeGroup.values]
