"""Cooperation agreements (kerja sama daerah): a city's partners, agreements and activities.

A city signs letters of intent (LoI), memoranda of understanding (MoU) and the agreements that
implement them (PKS, perjanjian kerja sama) with other Indonesian regions, with cities and
governments abroad, with private parties and with international bodies.
:class:`CooperationRegister` keeps them: the statuses and the moves between them
(:data:`TRANSITIONS`), the approvals an agreement needs before it is signed into force
(:class:`ApprovalPolicy`; cooperation with a foreign private party always waits for the central
government's review), the activities done under them, and reminders of terms that end soon.
"""

from smartcity_kit.egov.cooperation._models import (
    DEFAULT_REQUIRED_APPROVALS,
    TRANSITIONS,
    Activity,
    ActivityKind,
    Agreement,
    AgreementKind,
    AgreementStatus,
    Approval,
    ApprovalKind,
    ApprovalPolicy,
    CooperationField,
    Decision,
    Document,
    Partner,
    PartnerKind,
    Renewal,
    Term,
)
from smartcity_kit.egov.cooperation._register import (
    REVISABLE,
    SUBSTANTIVE,
    CooperationRegister,
    ExpiryReminder,
)

__all__ = [
    "DEFAULT_REQUIRED_APPROVALS",
    "REVISABLE",
    "SUBSTANTIVE",
    "TRANSITIONS",
    "Activity",
    "ActivityKind",
    "Agreement",
    "AgreementKind",
    "AgreementStatus",
    "Approval",
    "ApprovalKind",
    "ApprovalPolicy",
    "CooperationField",
    "CooperationRegister",
    "Decision",
    "Document",
    "ExpiryReminder",
    "Partner",
    "PartnerKind",
    "Renewal",
    "Term",
]
