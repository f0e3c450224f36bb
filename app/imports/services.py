"""Use cases of the casework import: start a run, save the mapping, check (dry run), import (all or nothing).

The programme office may import for any provider organisation; a provider manager for their own (the scope
comes from `auth/policies.py`). Like every service here: takes the acting user, checks policy, audits,
flushes, never commits — the view or the command commits once.
"""
from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from app import audit
from app.auth.models import Organisation, User
from app.auth.policies import organisation_scope
from app.auth.roles import Capability
from app.db import db, utcnow
from app.errors import DomainError
from app.imports import fields as F
from app.imports.checking import Checker, Plan
from app.imports.mapping import Mapping, RowReader, Setup, distinct_values
from app.imports.models import ImportedRecord, ImportMapping, ImportRun, RunStatus
from app.imports.readers import CasefileReader, Rereadable
from app.imports.writing import Writer
from app.programmes.models import Programme, Site
from app.referrals.models import Person, Referral
from app.referrals.names import fold

DEFAULT_MAPPING = "Default"

Rows = Callable[[], Iterable[tuple[int, dict]]]
Progress = Callable[[str, int], None] | None


def _require(actor) -> None:
    if not actor.can(Capability.IMPORT_CASEWORK):
        raise DomainError("Your role cannot import casework")


def organisations_for(actor) -> list[Organisation]:
    """Organisations the actor may import for: those delivering at least one site, within their scope."""
    _require(actor)
    delivers = sa.exists().where(Site.provider_id == Organisation.id)
    return list(db.session.execute(sa.select(Organisation).where(
        organisation_scope(actor, Organisation.id), delivers).order_by(Organisation.name)).scalars())


def organisation_for(actor, organisation_id: int) -> Organisation | None:
    return next((o for o in organisations_for(actor) if o.id == organisation_id), None)


def organisation_named(actor, name_or_id: str) -> Organisation:
    for o in organisations_for(actor):
        if name_or_id in (str(o.id), o.name):
            return o
    raise DomainError(f'No organisation called "{name_or_id}" delivers a site that you may import for')


def run_for(actor, run_id: int) -> ImportRun | None:
    """An import run in the actor's scope (None otherwise: the view answers 404)."""
    if not actor.can(Capability.IMPORT_CASEWORK):
        return None
    return db.session.execute(sa.select(ImportRun).where(
        ImportRun.id == run_id, organisation_scope(actor, ImportRun.organisation_id))).scalar_one_or_none()


def recent_runs(actor, limit: int = 20) -> list[ImportRun]:
    _require(actor)
    return list(db.session.execute(sa.select(ImportRun).where(organisation_scope(actor, ImportRun.organisation_id))
                                   .order_by(ImportRun.id.desc()).limit(limit)).scalars())


def saved_mapping(organisation: Organisation, name: str = DEFAULT_MAPPING) -> ImportMapping | None:
    return db.session.execute(sa.select(ImportMapping).where(
        ImportMapping.organisation_id == organisation.id, ImportMapping.name == name)).scalar_one_or_none()


def save_mapping(actor, organisation: Organisation, *, columns: dict | None = None, values: dict | None = None,
                 defaults: dict | None = None, name: str = DEFAULT_MAPPING) -> ImportMapping:
    _require(actor)
    if organisation_for(actor, organisation.id) is None:
        raise DomainError("You cannot import for that organisation")
    saved = saved_mapping(organisation, name)
    if saved is None:
        saved = ImportMapping(organisation_id=organisation.id, name=name, columns={}, values={}, defaults={})
        db.session.add(saved)
    if columns is not None:
        unknown = [k for k in columns if k not in F.BY_KEY]
        if unknown:
            raise DomainError(f"Unknown field: {unknown[0]}")
        saved.columns = {k: v for k, v in columns.items() if v}
    if values is not None:
        merged = {k: dict(v) for k, v in (saved.values or {}).items()}
        for key, words in values.items():
            merged.setdefault(key, {}).update({w: c for w, c in words.items() if c})
            for w, c in words.items():
                if not c:
                    merged[key].pop(w, None)
        saved.values = merged
    if defaults is not None:
        saved.defaults = {k: v for k, v in defaults.items() if v}
    saved.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "import.mapping_saved", saved, detail={
        "organisation": organisation.id, "columns": sorted(saved.columns), "values": sorted(saved.values)})
    return saved


def read_header(filename: str, content: bytes) -> list[str]:
    return CasefileReader(io.BytesIO(content), filename).header().names


def start_run(actor, organisation: Organisation, filename: str, content: bytes) -> ImportRun:
    """Keep an uploaded file (in the database, like everything Waypoint remembers) and read its headings."""
    _require(actor)
    if organisation_for(actor, organisation.id) is None:
        raise DomainError("You cannot import for that organisation", "organisation_id")
    headers = read_header(filename, content)
    saved = saved_mapping(organisation)
    if saved is None:
        saved = save_mapping(actor, organisation, columns=Mapping.guess(headers).columns)
    elif any(h not in headers for h in (saved.columns or {}).values()):
        # This file's headings differ from the last one's: keep what still fits, guess the rest afresh.
        kept = {k: h for k, h in saved.columns.items() if h in headers}
        guessed = Mapping.guess([h for h in headers if h not in kept.values()]).columns
        saved = save_mapping(actor, organisation, columns={**guessed, **kept})
    run = ImportRun(organisation_id=organisation.id, created_by_id=actor.id, mapping_id=saved.id,
                    filename=(Path(filename or "upload").name or "upload")[:255], content=content,
                    status=RunStatus.UPLOADED, headers=headers, rows_done=0)
    db.session.add(run)
    db.session.flush()
    audit.record(actor, "import.uploaded", run, detail={"organisation": organisation.id, "filename": run.filename,
                                                        "bytes": len(content)})
    return run


def file_rows(run: ImportRun) -> Rows:
    return Rereadable(lambda: contextlib.nullcontext(CasefileReader(io.BytesIO(run.content), run.filename)))


def path_rows(path: Path) -> Rows:
    @contextlib.contextmanager
    def open_reader():
        with open(path, "rb") as handle:
            yield CasefileReader(handle, path.name)
    return Rereadable(open_reader)


def mapping_of(run: ImportRun) -> Mapping:
    return Mapping.of(run.mapping or saved_mapping(run.organisation))


def unmatched_values(run: ImportRun) -> dict[str, dict[str, int]]:
    return distinct_values(file_rows(run)(), mapping_of(run), Setup.load(run.organisation))


def check(actor, organisation: Organisation, mapping: Mapping, rows: Rows, progress: Progress = None,
          headers: list[str] | None = None) -> Plan:
    """The dry run: nothing is written."""
    _require(actor)
    missing = mapping.missing_required()
    if missing:
        raise DomainError("Choose the column for: " + ", ".join(f.label.lower() for f in missing), "columns")
    absent = [(k, h) for k, h in mapping.columns.items() if headers is not None and h not in headers]
    if absent:
        key, heading = absent[0]
        raise DomainError(f'The file has no column "{heading}" (chosen for {F.BY_KEY[key].label.lower()}): '
                          "choose the columns again", "columns")
    checker = Checker(actor, Setup.load(organisation), mapping)
    return checker.run(rows(), (lambda n: progress("checking", n)) if progress else None)


def import_rows(actor, organisation: Organisation, mapping: Mapping, rows: Rows, *, run: ImportRun | None = None,
                progress: Progress = None, headers: list[str] | None = None,
                checked: Plan | None = None) -> tuple[Plan, dict | None]:
    """Check everything, then — only if no row is refused — save everything (the caller commits once).
    Returns the plan and the counts saved (None when nothing was saved because some rows were refused).
    `checked`: the plan of a check made just before, with nothing it depends on changed since (see
    `fingerprint`); it is used instead of checking again."""
    plan = checked if checked is not None else check(actor, organisation, mapping, rows, progress, headers)
    if not plan.clean:
        return plan, None
    setup = Setup.load(organisation)
    writer = Writer(actor, setup, RowReader(mapping, setup, F.EVENT_FIELDS), plan, run.id if run else None)
    counts = writer.write(rows, (lambda n: progress("saving", n)) if progress else None)
    audit.record(actor, "import.completed", run, detail={"organisation": organisation.id, **counts,
                                                         "people_matched": plan.summary()["people_matched"],
                                                         "referrals_skipped": plan.summary()["referrals_skipped"]})
    return plan, counts


def record_check(actor, run: ImportRun, plan: Plan) -> None:
    run.summary = plan.summary()
    run.problems = [p.as_dict() for p in plan.problems]
    run.rows_total = plan.rows
    run.rows_done = plan.rows
    run.status = RunStatus.CHECKED
    run.checked_at = utcnow()
    db.session.flush()
    audit.record(actor, "import.checked", run, detail={"problems": plan.problem_count, "rows": plan.rows})


def check_run(actor, run: ImportRun, progress: Progress = None) -> Plan:
    plan = check(actor, run.organisation, mapping_of(run), file_rows(run), progress, run.headers)
    record_check(actor, run, plan)
    return plan


def import_run(actor, run: ImportRun, progress: Progress = None,
               checked: Plan | None = None) -> tuple[Plan, dict | None]:
    if run.status is RunStatus.IMPORTED:
        raise DomainError("This file has already been imported")
    plan, counts = import_rows(actor, run.organisation, mapping_of(run), file_rows(run), run=run, progress=progress,
                                headers=run.headers, checked=checked)
    record_check(actor, run, plan)
    if counts is None:
        run.status = RunStatus.REFUSED
    else:
        run.status = RunStatus.IMPORTED
        run.imported_at = utcnow()
        run.summary = {**plan.summary(), "saved": counts}
    db.session.flush()
    return plan, counts


def fingerprint(run: ImportRun) -> tuple:
    """What a check's decisions depend on besides the file: the people (matching), what was imported before,
    the referrals (trial sequences), the organisation's sites and programmes, and the saved mapping. Equal before
    and after, a check made meanwhile is still right."""
    def shape(model, *extra):
        return tuple(db.session.execute(sa.select(sa.func.count(), sa.func.max(model.id), *extra)).one())

    return (shape(Person, sa.func.max(Person.updated_at)), shape(Referral), shape(ImportedRecord),
            shape(Site, sa.func.max(Site.updated_at)),
            tuple(db.session.execute(sa.select(sa.func.max(Programme.updated_at))).one()),
            tuple(db.session.execute(sa.select(ImportMapping.updated_at).where(
                ImportMapping.id == run.mapping_id)).all()))


def importer_named(email: str):
    """The person a command-line import is done as (audited as theirs): an active user who may import."""
    user = db.session.execute(sa.select(User).where(sa.func.lower(User.email) == (email or "").strip().lower(),
                                                    User.active.is_(True))).scalar_one_or_none()
    if user is None or not user.can(Capability.IMPORT_CASEWORK):
        raise DomainError(f"{email} is not an active programme office or provider manager account")
    return user


def mapping_named(organisation: Organisation, name_or_path: str | None) -> Mapping:
    """A mapping saved for the organisation (by name; "Default" if none is given), or a JSON file holding
    {"columns": {field: heading}, "values": {field: {word: category}}, "defaults": {field: category}}."""
    if name_or_path and name_or_path.lower().endswith(".json"):
        try:
            data = json.loads(Path(name_or_path).read_text())
            mapping = Mapping(dict(data.get("columns", {})), {k: {fold(w): c for w, c in v.items()}
                                                              for k, v in data.get("values", {}).items()},
                              dict(data.get("defaults", {})))
        except (OSError, ValueError, AttributeError) as exc:
            raise DomainError(f"The mapping file {name_or_path} cannot be read: {exc}") from None
        unknown = [k for k in (*mapping.columns, *mapping.values, *mapping.defaults) if k not in F.BY_KEY]
        if unknown:
            raise DomainError(f"The mapping file names a field Waypoint does not have: {unknown[0]}")
        return mapping
    saved = saved_mapping(organisation, name_or_path or DEFAULT_MAPPING)
    if saved is None:
        raise DomainError(f'{organisation.name} has no saved mapping called "{name_or_path or DEFAULT_MAPPING}": '
                          "map a file once on the Import page, or give a .json mapping file")
    return Mapping.of(saved)


def import_path(actor, organisation: Organisation, mapping: Mapping, path: Path, *, dry_run: bool,
                progress: Progress = None) -> tuple[ImportRun, Plan, dict | None]:
    """The command line's import: the file stays on disk (read twice, never held in memory)."""
    _require(actor)
    if organisation_for(actor, organisation.id) is None:
        raise DomainError("You cannot import for that organisation")
    rows = path_rows(path)
    with open(path, "rb") as handle:
        headers = CasefileReader(handle, path.name).header().names
    run = ImportRun(organisation_id=organisation.id, created_by_id=actor.id, filename=path.name[:255],
                    status=RunStatus.UPLOADED, headers=headers)
    db.session.add(run)
    db.session.flush()
    if dry_run:
        plan, counts = check(actor, organisation, mapping, rows, progress, headers), None
    else:
        plan, counts = import_rows(actor, organisation, mapping, rows, run=run, progress=progress, headers=headers)
    record_check(actor, run, plan)
    if counts is not None:
        run.status, run.imported_at = RunStatus.IMPORTED, utcnow()
        run.summary = {**plan.summary(), "saved": counts}
    elif not dry_run:
        run.status = RunStatus.REFUSED
    db.session.flush()
    return run, plan, counts
