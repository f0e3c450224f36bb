"""What a casework spreadsheet can hold: Waypoint's import fields, the headers people give them, and the
words people use for each category (DOMAIN.md §2).

A casework file has one row per event — a session, an outcome, a measure, or just the referral — with the
person's and the referral's columns repeated on each row (the way providers keep their spreadsheets). Rows
with the same referral reference belong to one referral; rows with the same person reference (or, without
one, the same name and date of birth) to one person.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.referrals.ethnicity import POLICE_CODE_MAP, Ethnicity
from app.referrals.models import ContactMode, LawfulBasis, ReferralSource, Sex, TimePoint, TrialArm
from app.referrals.names import fold
from app.referrals.transitions import ReferralStatus

# Kinds of cell: text, date, datetime (a date, optionally with a time), time, int, decimal, category.
TEXT, DATE, DATETIME, TIME, INT, DECIMAL, CATEGORY = "text", "date", "datetime", "time", "int", "decimal", "category"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    group: str
    kind: str = TEXT
    required: bool = False
    hint: str = ""
    synonyms: tuple[str, ...] = ()
    example: str = ""


PERSON, REFERRAL, CLOSURE, CONTACT, OUTCOME, MEASURE = (
    "The young person", "The referral", "Closing the case", "Sessions (contacts)", "Outcomes", "Measures")
GROUPS = (PERSON, REFERRAL, CLOSURE, CONTACT, OUTCOME, MEASURE)

FIELDS: tuple[Field, ...] = (
    Field("person_ref", "Person reference", PERSON, hint="Your own ID for the young person. Rows with the same "
          "reference are the same person; without it, the same name and date of birth are.",
          synonyms=("person id", "client id", "young person id", "yp id", "client ref", "person ref", "urn"),
          example="YP-0001"),
    Field("given_name", "First name", PERSON, required=True, synonyms=("forename", "first name", "given name",
          "firstname", "forenames"), example="Jordan"),
    Field("family_name", "Last name", PERSON, required=True, synonyms=("surname", "last name", "family name",
          "lastname"), example="Smith"),
    Field("date_of_birth", "Date of birth", PERSON, DATE, synonyms=("dob", "d.o.b", "birth date", "date of birth"),
          example="14/03/2007"),
    Field("estimated_age", "Estimated age", PERSON, INT, hint="Only when there is no date of birth: the age "
          "as at the referral date.", synonyms=("age", "approx age", "estimated age", "age (approx)"), example=""),
    Field("age_not_known_reason", "Why age is not known", PERSON, hint="Only when there is neither a date of "
          "birth nor an estimated age: a row needs one of the three.",
          synonyms=("age not known", "age not known reason", "why age not known", "no age reason"), example=""),
    Field("sex", "Sex", PERSON, CATEGORY, synonyms=("sex", "gender"), example="Male"),
    Field("gender_identity", "Gender identity", PERSON, synonyms=("gender identity",)),
    Field("ethnicity", "Ethnicity", PERSON, CATEGORY, hint="ONS 2021 categories or police codes (W1, B2…).",
          synonyms=("ethnicity", "ethnic origin", "ethnic group", "ethnic code"), example="White British"),
    Field("home_area", "Home area", PERSON, synonyms=("area", "home area", "postcode district", "ward", "borough"),
          example="Reading"),
    Field("nhs_number", "NHS number", PERSON, synonyms=("nhs no", "nhs number", "nhs"), example=""),
    Field("police_reference", "Police reference", PERSON, synonyms=("police ref", "pnc", "crime ref",
          "police reference")),

    Field("referral_ref", "Referral reference", REFERRAL, required=True, hint="Your own ID for the referral. "
          "Importing the same referral again adds nothing.", synonyms=("referral id", "case id", "case ref", "case no",
          "referral ref", "case number", "referral number"), example="REF-0001"),
    Field("site", "Site", REFERRAL, CATEGORY, required=True, hint="Where they were seen: one of the "
          "organisation's sites.", synonyms=("site", "hospital", "location", "custody suite", "venue", "school"),
          example="Reading"),
    Field("programme", "Programme", REFERRAL, CATEGORY, hint="Only needed when a site name is used by two "
          "programmes.", synonyms=("programme", "program", "project", "service"), example="Hospital Navigators"),
    Field("referred_on", "Referral date", REFERRAL, DATETIME, required=True, synonyms=("referral date",
          "date referred", "date of referral", "referred", "referred on"), example="02/05/2024"),
    Field("source", "Referred by", REFERRAL, CATEGORY, required=True, synonyms=("source", "referral source",
          "referred by", "referrer"), example="A&E"),
    Field("reason", "Reason for referral", REFERRAL, synonyms=("reason", "referral reason", "presenting issue")),
    Field("lawful_basis", "Lawful basis", REFERRAL, CATEGORY, required=True, hint="If the file has no such "
          "column, choose one basis for every row when you map the values.", synonyms=("lawful basis",
          "legal basis", "basis"), example="Public task"),
    Field("consent_recorded", "Consent recorded", REFERRAL, CATEGORY, synonyms=("consent", "consent given",
          "consent recorded"), example="Yes"),
    Field("override_reason", "Why referred outside the age range", REFERRAL, hint="Needed only when the person "
          "is outside the programme's ages on the referral date, as on the referral page.",
          synonyms=("override reason", "eligibility override", "age override")),
    Field("trial_arm", "Trial arm allocated elsewhere", REFERRAL, CATEGORY, hint="Only for a programme running "
          "a trial, when the allocation was made outside Waypoint. Leave blank to let Waypoint make the draw.",
          synonyms=("trial arm", "arm", "allocation", "rct arm")),
    Field("allocation_note", "Where the allocation was made", REFERRAL, hint="For example the evaluator's "
          "allocation number.", synonyms=("allocation ref", "allocation note", "randomisation id")),

    Field("closed_on", "Date closed", CLOSURE, DATE, synonyms=("closed", "date closed", "closure date",
          "end date", "discharge date"), example=""),
    Field("closure_reason", "Reason closed", CLOSURE, synonyms=("closure reason", "reason closed",
          "reason for closure", "exit reason")),
    Field("ending", "How it ended (if they never engaged)", CLOSURE, CATEGORY, hint="Declined, not eligible or "
          "unable to contact: needed to close a case with no attended session.",
          synonyms=("ending", "end status", "exit status", "status at closure", "outcome status", "closure status")),

    Field("contact_on", "Session date", CONTACT, DATETIME, synonyms=("session date", "contact date",
          "date of contact", "date of session", "appointment date", "session"), example="05/05/2024"),
    Field("contact_time", "Session time", CONTACT, TIME, synonyms=("session time", "contact time", "time"),
          example="14:30"),
    Field("mode", "Session type", CONTACT, CATEGORY, synonyms=("mode", "contact type", "session type", "type",
          "contact mode"), example="1:1"),
    Field("attended", "Attended", CONTACT, CATEGORY, synonyms=("attended", "attendance", "dna", "did attend"),
          example="Attended"),
    Field("duration_minutes", "Length (minutes)", CONTACT, INT, synonyms=("duration", "minutes", "length",
          "duration (mins)", "mins"), example="60"),
    Field("contact_notes", "Session notes", CONTACT, synonyms=("notes", "session notes", "contact notes")),

    Field("outcome_type", "Outcome", OUTCOME, CATEGORY, synonyms=("outcome", "outcome type", "result")),
    Field("outcome_on", "Outcome date", OUTCOME, DATE, synonyms=("outcome date", "date of outcome")),

    Field("measure_instrument", "Measure", MEASURE, synonyms=("measure", "instrument", "scale", "tool")),
    Field("measure_time_point", "Measure time point", MEASURE, CATEGORY, synonyms=("time point", "timepoint",
          "stage", "measure point")),
    Field("measure_value", "Measure score", MEASURE, DECIMAL, synonyms=("score", "value", "measure score")),
    Field("measure_on", "Measure date", MEASURE, DATE, synonyms=("measure date", "date measured",
          "score date")),
)
BY_KEY = {f.key: f for f in FIELDS}
CATEGORY_FIELDS = tuple(f.key for f in FIELDS if f.kind == CATEGORY)
PERSON_FIELDS = tuple(f.key for f in FIELDS if f.group == PERSON)
EVENT_FIELDS = frozenset({"referral_ref", *(f.key for f in FIELDS if f.group in (CONTACT, OUTCOME, MEASURE))})
REFERRAL_FIELDS = tuple(f.key for f in FIELDS if f.group in (REFERRAL, CLOSURE))

YES, NO = "yes", "no"
ENDINGS = (ReferralStatus.DECLINED, ReferralStatus.NOT_ELIGIBLE, ReferralStatus.UNABLE_TO_CONTACT)


def fixed_choices(key: str) -> list[tuple[str, str]] | None:
    """The categories of a field that are the same for every organisation (None: they depend on the set-up,
    like sites, programmes and outcome types)."""
    if key == "sex":
        return Sex.choices()
    if key == "ethnicity":
        return Ethnicity.choices()
    if key == "source":
        return ReferralSource.choices()
    if key == "lawful_basis":
        return LawfulBasis.choices()
    if key == "mode":
        return ContactMode.choices()
    if key in ("attended", "consent_recorded"):
        return [(YES, "Yes"), (NO, "No")]
    if key == "trial_arm":
        return [(TrialArm.INTERVENTION.value, "Intervention"), (TrialArm.CONTROL.value, "Control")]
    if key == "measure_time_point":
        return TimePoint.choices()
    if key == "ending":
        return [(s.value, s.label) for s in ENDINGS]
    return None


# Words providers use, folded (see names.fold), beyond each category's own value and label.
SYNONYMS: dict[str, dict[str, str]] = {
    "sex": {"m": "male", "f": "female", "boy": "male", "girl": "female", "man": "male", "woman": "female",
            "unknown": "not_known", "u": "not_known", "not stated": "prefer_not_to_say",
            "prefer not to say": "prefer_not_to_say", "pnts": "prefer_not_to_say"},
    "ethnicity": {"white british": "white_british", "british": "white_british", "white english": "white_british",
                  "white irish": "white_irish", "irish": "white_irish", "white other": "white_other",
                  "any other white background": "white_other", "gypsy": "white_gypsy_traveller",
                  "traveller": "white_gypsy_traveller", "roma": "white_roma",
                  "black african": "black_african", "african": "black_african",
                  "black caribbean": "black_caribbean", "caribbean": "black_caribbean",
                  "black other": "black_other", "black british": "black_other",
                  "indian": "asian_indian", "pakistani": "asian_pakistani", "bangladeshi": "asian_bangladeshi",
                  "chinese": "asian_chinese", "asian other": "asian_other", "other asian": "asian_other",
                  "mixed white and black caribbean": "mixed_white_black_caribbean",
                  "mixed white and black african": "mixed_white_black_african",
                  "mixed white and asian": "mixed_white_asian", "mixed other": "mixed_other",
                  "mixed": "mixed_other", "arab": "other_arab", "other": "other_any",
                  "any other ethnic group": "other_any", "not stated": "not_stated", "unknown": "not_stated",
                  "not known": "not_stated", "prefer not to say": "not_stated", "refused": "not_stated",
                  **{fold(code): eth.value for code, eth in POLICE_CODE_MAP.items()}},
    "source": {"ae": "ae_clinician", "a e": "ae_clinician", "a and e": "ae_clinician", "hospital": "ae_clinician",
               "ed": "ae_clinician", "emergency department": "ae_clinician", "nhs": "ae_clinician",
               "custody": "custody_staff", "custody suite": "custody_staff", "school": "school",
               "education": "school", "police": "police", "social care": "social_care",
               "social services": "social_care", "childrens services": "social_care", "self": "self",
               "self referral": "self", "other": "other"},
    "lawful_basis": {"consent": "consent", "public task": "public_task", "public interest": "public_task",
                     "legitimate interest": "legitimate_interests", "vital interest": "vital_interests"},
    "mode": {"1 1": "one_to_one", "11": "one_to_one", "one to one": "one_to_one", "121": "one_to_one",
             "face to face": "in_setting", "f2f": "in_setting", "in person": "in_setting",
             "bedside": "in_setting", "ward": "in_setting", "in setting": "in_setting", "group": "group",
             "group work": "group", "phone": "phone", "telephone": "phone", "call": "phone", "video": "video",
             "teams": "video", "zoom": "video", "text": "message", "sms": "message", "whatsapp": "message",
             "message": "message", "email": "message"},
    "attended": {"y": YES, "yes": YES, "attended": YES, "true": YES, "1": YES, "seen": YES, "n": NO, "no": NO,
                 "dna": NO, "did not attend": NO, "not attended": NO, "false": NO, "0": NO, "no show": NO,
                 "cancelled": NO, "missed": NO},
    "consent_recorded": {"y": YES, "yes": YES, "true": YES, "1": YES, "given": YES, "consented": YES,
                         "n": NO, "no": NO, "false": NO, "0": NO},
    "trial_arm": {"intervention": "intervention", "treatment": "intervention", "i": "intervention",
                  "control": "control", "c": "control", "usual care": "control"},
    "measure_time_point": {"baseline": "baseline", "start": "baseline", "initial": "baseline", "review": "review",
                           "mid": "review", "midpoint": "review", "exit": "exit", "end": "exit", "final": "exit"},
    "ending": {"declined": "declined", "refused": "declined", "not eligible": "not_eligible",
               "ineligible": "not_eligible", "unable to contact": "unable_to_contact", "no contact":
               "unable_to_contact", "uncontactable": "unable_to_contact"},
}


def recognise(key: str, raw: str, choices: list[tuple[str, str]]) -> str | None:
    """The category a provider's word means, when it is unambiguous: a category's own value or label (folded),
    or a common synonym. None when a person must choose."""
    word = fold(raw)
    if not word:
        return None
    for value, label in choices:
        if word in (fold(value), fold(label)):
            return value
    found = SYNONYMS.get(key, {}).get(word)
    if found and any(found == v for v, _ in choices):
        return found
    return None


def guess_column(field: Field, headers: list[str]) -> str | None:
    """The file's header that most plainly means this field (its label, key or a synonym), or None."""
    folded = {fold(h): h for h in headers if h}
    for candidate in (field.label, field.key.replace("_", " "), *field.synonyms):
        hit = folded.get(fold(candidate))
        if hit:
            return hit
    return None
