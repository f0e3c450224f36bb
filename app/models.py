"""Imports every model so the metadata (migrations, tests) sees the whole schema."""
from app.audit import AuditEvent  # noqa: F401
from app.auth.models import Organisation, User, UserSession  # noqa: F401
from app.idempotency import IdempotencyKey  # noqa: F401
from app.programmes.models import (  # noqa: F401
    CountingWindow, Programme, Site, Target, TrainingAttendee, TrainingEvent,
)
from app.referrals.models import (  # noqa: F401
    Contact, Outcome, OutcomeMeasure, Person, Referral, ReferralStatusChange,
)
from app.offline.models import OfflineDevice  # noqa: F401
from app.periods.models import ReportingPeriod  # noqa: F401
from app.reports.models import ExceptionAcceptance, ReturnSnapshot  # noqa: F401
from app.clocks.models import ProgrammeClock  # noqa: F401
from app.reminders.models import ReminderPreference, SentReminder  # noqa: F401
from app.tokens.models import ApiToken  # noqa: F401

try:  # domains that land later register their models here too
    import app.finance.models  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - until the finance issue lands
    if exc.name != "app.finance.models":
        raise
from app.imports.models import ImportedRecord, ImportMapping, ImportRun  # noqa: F401,E402
