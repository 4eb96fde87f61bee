"""Who reads and writes reporting: reporting officers review and submit the 4W and keep the results frameworks;
programme officers and supervisors read them."""

from liman.core.choices import Role

#: Who submits a month's 4W (locking it) and edits projects and results frameworks.
REPORTING_WRITE_ROLES = frozenset({Role.REPORTING_OFFICER})
#: Who reads the 4W, projects and indicator tables (counts only: no record of a person is shown).
REPORTING_READ_ROLES = REPORTING_WRITE_ROLES | frozenset({Role.PROGRAMME_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR})
#: Who writes donor reports (narrative, stories) and issues them.
DONOR_REPORT_WRITE_ROLES = REPORTING_WRITE_ROLES | frozenset({Role.PROGRAMME_OFFICER})
