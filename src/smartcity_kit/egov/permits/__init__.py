"""Permits (perizinan): applications for a service of the catalogue, checked, decided, issued.

An application names its applicant (a person by NIK, a business by NIB), answers the service
standard's checklist with document references, pays the fee when one is due, and moves through
an explicit lifecycle whose working-day deadline pauses while the applicant must act. Issued
permits carry a number in the city's format, unique under concurrency, and anyone may check
whether a number is valid.
"""

from smartcity_kit.egov.permits._deadline import deadline_with_pauses, paused_working_days
from smartcity_kit.egov.permits._models import (
    PERMIT_TRANSITIONS,
    Applicant,
    ApplicantKind,
    ApplicationEvent,
    Document,
    PermitApplication,
    PermitStatus,
    Verification,
)
from smartcity_kit.egov.permits._numbers import (
    DEFAULT_PATTERN,
    NumberParts,
    PermitNumberFormat,
    from_roman,
    to_roman,
)
from smartcity_kit.egov.permits._office import (
    PERMIT_SORTS,
    PermitOffice,
    PermitRules,
    check_number,
)

__all__ = [
    "DEFAULT_PATTERN",
    "PERMIT_SORTS",
    "PERMIT_TRANSITIONS",
    "Applicant",
    "ApplicantKind",
    "ApplicationEvent",
    "Document",
    "NumberParts",
    "PermitApplication",
    "PermitNumberFormat",
    "PermitOffice",
    "PermitRules",
    "PermitStatus",
    "Verification",
    "check_number",
    "deadline_with_pauses",
    "from_roman",
    "paused_working_days",
    "to_roman",
]
