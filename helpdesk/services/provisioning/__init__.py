"""Provisioning: validate a YAML file of calendars, clients, sites and people, then upsert it.

The whole file is checked before anything is written, every problem is reported with
the path of the offending entry, and the writes happen in one transaction, so a file
is loaded entirely or not at all. Objects are matched by slug (clients, sites), name
(calendars) or e-mail within the login realm (people); keys an entry leaves out keep
their stored values, and re-running a file changes nothing.

parse (YAML to data) -> validate (data to a Plan, with checks for single values)
-> apply (the Plan into the database) -> report (what changed).
"""

from helpdesk.services.provisioning.apply import provision, provision_file
from helpdesk.services.provisioning.parse import load_file, parse_yaml
from helpdesk.services.provisioning.plan import Entry, Plan, ProvisioningError
from helpdesk.services.provisioning.report import ProvisioningReport
from helpdesk.services.provisioning.validate import Validator, validate

__all__ = [
    "Entry",
    "Plan",
    "ProvisioningError",
    "ProvisioningReport",
    "Validator",
    "load_file",
    "parse_yaml",
    "provision",
    "provision_file",
    "validate",
]
