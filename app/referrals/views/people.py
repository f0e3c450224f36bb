"""People: search, add (with the duplicate check), view, edit; and recording a referral for them."""
from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app import audit, idempotency
from app.auth.decorators import personal_data, requires
from app.auth.policies import get_person_for
from app.auth.roles import Capability as C
from app.db import db
from app.referrals.services._common import uk_now
from app.errors import ConflictError, DomainError
from app.forms import date_from_parts, enum_or_none, parse_id
from app.referrals import bp, queries, services
from app.referrals.ethnicity import Ethnicity
from app.referrals.forms import NewPersonReferralForm, PersonForm, ReferralForm, SearchForm
from app.referrals.models import LawfulBasis, ReferralSource, Sex
from app.referrals.views._helpers import conflict_redirect, fail, page_number


@bp.route("/people")
@requires(C.VIEW_CASEWORK)
@personal_data
def people():
    searched = bool((request.args.get("q") or "").strip() or any(v.strip() for v in request.args.getlist("dob")))
    form = SearchForm(request.args if searched else None)
    results = None
    counts = {}
    if searched and form.validate():
        results = db.paginate(queries.people_search(current_user, text=form.q.data, date_of_birth=form.dob.data),
                              page=page_number(), per_page=25, error_out=False)
        counts = queries.open_referral_counts([p.id for p in results.items])
    html = render_template("referrals/people.html", form=form, results=results, counts=counts, searched=searched,
                           page_title="Find a person")
    if results is not None:  # recorded after rendering: on SQLite its INSERT takes the write lock (app/sqlite.py)
        audit.record(current_user, "people.searched", detail={"results": results.total})
    db.session.commit()  # after rendering, so the page is drawn from what was loaded, not re-read row by row
    return html


def _person_values(form: PersonForm) -> dict:
    return {
        "given_name": form.given_name.data, "family_name": form.family_name.data, **form.age_values(),
        "sex": enum_or_none(Sex, form.sex.data), "ethnicity": enum_or_none(Ethnicity, form.ethnicity.data),
        "gender_identity": form.gender_identity.data, "home_area": form.home_area.data,
        "nhs_number": form.nhs_number.data, "police_reference": form.police_reference.data,
    }


@bp.route("/people/new", methods=["GET", "POST"])
@requires(C.RECORD_REFERRAL)
@personal_data
def new_person():
    form = PersonForm()
    candidates = []
    if request.method == "GET":
        _carry_search(form)
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            person = services.create_person(current_user, _person_values(form),
                                            confirm_different=form.confirm_different.data)
            idempotency.finish_form(form, current_user, url_for("referrals.new_referral", person_id=person.id))
            db.session.commit()
            flash(f"{person.display_name} added. Now record the referral.", "success")
            return redirect(url_for("referrals.new_referral", person_id=person.id))
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            fail(form, exc)
        except DomainError as exc:
            fail(form, exc)
    return render_template("referrals/person_form.html", form=form, candidates=candidates, creating=True,
                           page_title="Add a person",
                           breadcrumbs=[{"text": "People", "href": url_for("referrals.people")}])


@bp.route("/people/<int:person_id>")
@requires(C.VIEW_CASEWORK)
@personal_data
def person(person_id: int):
    person = get_person_for(current_user, person_id)
    if person.merged_into_id:
        flash("This record was merged into another; you are seeing the record it was merged into.", "info")
        return redirect(url_for("referrals.person", person_id=person.merged_into_id))
    referrals = queries.person_referrals(current_user, person.id)
    audit.record(current_user, "person.viewed", person)
    html = render_template("referrals/person.html", person=person, referrals=referrals, page_title=person.display_name,
                           breadcrumbs=[{"text": "People", "href": url_for("referrals.people")}])
    db.session.commit()
    return html


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@requires(C.RECORD_REFERRAL)
@personal_data
def edit_person(person_id: int):
    person = get_person_for(current_user, person_id)
    form = PersonForm(obj=person)
    del form.confirm_different
    if request.method == "GET":
        form.version.data = person.version_id
        form.sex.data = person.sex.value if person.sex else ""
        form.ethnicity.data = person.ethnicity.value if person.ethnicity else ""
        form.show_age(person)
        audit.record(current_user, "person.viewed", person, detail={"page": "edit"})
        db.session.commit()
    if form.validate_on_submit():
        try:
            services.update_person(current_user, person, _person_values(form), version=form.version.data)
            db.session.commit()
            flash("Details saved.", "success")
            return redirect(url_for("referrals.person", person_id=person.id))
        except ConflictError as exc:
            return conflict_redirect(exc, "referrals.edit_person", person_id=person_id)
        except DomainError as exc:
            fail(form, exc)
    return render_template("referrals/person_form.html", form=form, person=person, creating=False,
                           page_title=f"Change {person.display_name}'s details",
                           breadcrumbs=[{"text": "People", "href": url_for("referrals.people")},
                                        {"text": person.display_name,
                                         "href": url_for("referrals.person", person_id=person.id)}])


def _site_label(site) -> str:
    """The ages go next to the programme's name, where a narrow select box still shows them."""
    if site.min_age is not None and site.max_age is not None:
        ages = f" (ages {site.min_age}–{site.max_age})"
    elif site.min_age is not None:
        ages = f" (ages {site.min_age} and over)"
    elif site.max_age is not None:
        ages = f" (ages up to {site.max_age})"
    else:
        ages = ""
    return f"{site.programme}{ages} — {site.name}"


def _prepare_referral_form(form) -> list:
    """Choices and sensible defaults shared by both ways of recording a referral."""
    sites = queries.site_choices(current_user)
    form.site_id.choices = [(0, "Choose a programme and site")] + [(s.id, _site_label(s)) for s in sites]
    workers = queries.worker_choices(current_user, None if current_user.sees_all_organisations
                                     else current_user.organisation_id)
    form.assigned_worker_id.choices = [(0, "Not assigned yet")] + workers
    if request.method == "GET":
        form.referred_on.data = date.today()
        form.lawful_basis.data = LawfulBasis.CONSENT.value
        if len(sites) == 1:
            form.site_id.data = sites[0].id
        if current_user.can(C.LOG_CONTACT) and any(w[0] == current_user.id for w in workers):
            form.assigned_worker_id.data = current_user.id
    return sites


def _referral_values(form, sites) -> dict:
    """The referral's values for the service; a site outside the list is reported next to its field."""
    site = next((s for s in sites if s.id == form.site_id.data), None)
    if site is None:
        raise DomainError("Choose the programme and site", "site_id")
    when = form.referred_time.data
    referred_at = datetime.combine(form.referred_on.data, when) if when else _now_on(form.referred_on.data)
    return {"programme_id": site.programme_id, "site_id": site.id, "referred_on": form.referred_on.data,
            "referred_at": referred_at, "source": ReferralSource(form.source.data), "reason": form.reason.data,
            "lawful_basis": LawfulBasis(form.lawful_basis.data), "consent_recorded": form.consent_recorded.data,
            "override_reason": form.override_reason.data,
            "assigned_worker_id": form.assigned_worker_id.data or None}


def _recorded(referral):
    arm = f" Trial allocation: {referral.trial_arm.label.lower()}." if referral.allocation_draw else ""
    flash(f"Referral to {referral.programme.name} recorded for {referral.person.display_name}.{arm}", "success")
    return redirect(url_for("referrals.case", referral_id=referral.id))


@bp.route("/people/<int:person_id>/refer", methods=["GET", "POST"])
@requires(C.RECORD_REFERRAL)
@personal_data
def new_referral(person_id: int):
    person = get_person_for(current_user, person_id)
    if person.merged_into_id:
        return redirect(url_for("referrals.new_referral", person_id=person.merged_into_id))
    form = ReferralForm()
    sites = _prepare_referral_form(form)
    if form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            referral = services.submit_referral(current_user, person, **_referral_values(form, sites))
            idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
            db.session.commit()
            return _recorded(referral)
        except DomainError as exc:
            fail(form, exc)
    return render_template("referrals/referral_form.html", form=form, person=person,
                           page_title=f"Record a referral for {person.display_name}",
                           breadcrumbs=[{"text": "People", "href": url_for("referrals.people")},
                                        {"text": person.display_name,
                                         "href": url_for("referrals.person", person_id=person.id)}])


@bp.route("/people/new/refer", methods=["GET", "POST"])
@requires(C.RECORD_REFERRAL)
@personal_data
def new_person_referral():
    """Someone not found by the search: record them and the referral on one page."""
    form = NewPersonReferralForm()
    sites = _prepare_referral_form(form)
    candidates = []
    if request.method == "GET":
        _carry_search(form)
    choice = (request.form.get("use_person") or "").strip()  # from "is this one of these people?"
    if request.method == "POST" and parse_id(choice):
        # An existing record after all: the referral as typed, for that person; their details are not retyped.
        form.validate_on_submit()
        if not any(k not in NewPersonReferralForm.PERSON_FIELDS for k in form.errors):
            person = get_person_for(current_user, parse_id(choice))
            replay = idempotency.claim_form(form, current_user)
            if replay is not None:
                return replay
            try:
                referral = services.submit_referral(current_user, person, **_referral_values(form, sites))
                idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
                db.session.commit()
                return _recorded(referral)
            except DomainError as exc:
                fail(form, exc)
    elif form.validate_on_submit():
        replay = idempotency.claim_form(form, current_user)
        if replay is not None:
            return replay
        try:
            referral = services.refer_new_person(current_user, _person_values(form),
                                                 confirm_different=choice == "new",
                                                 **_referral_values(form, sites))
            idempotency.finish_form(form, current_user, url_for("referrals.case", referral_id=referral.id))
            db.session.commit()
            return _recorded(referral)
        except services.PossibleDuplicate as exc:
            candidates = exc.candidates
            db.session.rollback()
            form.form_errors.append(exc.message)
        except DomainError as exc:
            fail(form, exc)
    return render_template("referrals/person_referral_form.html", form=form, candidates=candidates, choice=choice,
                           page_title="Record a referral for someone new",
                           breadcrumbs=[{"text": "People", "href": url_for("referrals.people",
                                                                           q=request.args.get("q") or None)}])


def _carry_search(form) -> None:
    """Carry what was searched for into the form, so nothing is typed twice."""
    words = (request.args.get("q") or "").split()
    if words and not any(ch.isdigit() for ch in "".join(words)):
        form.given_name.data = words[0].capitalize() if len(words) > 1 else None
        form.family_name.data = " ".join(words[1:] if len(words) > 1 else words).title()
    dob = request.args.getlist("dob")
    if len(dob) == 3:
        try:
            form.date_of_birth.data = date_from_parts(*dob)
            form.age_known.data = "dob"
        except ValueError:
            pass


def _now_on(day: date) -> datetime:
    now = uk_now()
    return now if now.date() == day else datetime.combine(day, now.time())
