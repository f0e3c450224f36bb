"""schemathesis against the live OpenAPI document: every operation, as two roles (provider A's system with a
service token, and the programme office with a personal token), valid and invalid data. Asserts 0 server
errors and 0 responses that break their own documented schema, status, content type or headers; prints the
number of cases tried."""
from __future__ import annotations

from collections import Counter

import schemathesis
from flask import g
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from tests.api.conftest import personal_token, service_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLES = 15  # per operation × role × mode


def _known_ids(world) -> dict:
    return {"person_id": world.person_a.id, "referral_id": world.referral_a.id, "programme_id": world.programme.id,
            "year": 2024, "quarter": 2}


def _runner(generated, token, role, cases, statuses, errors):
    @given(case=generated)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        saved = dict(g.__dict__)
        g.__dict__.clear()  # each request starts with a clean `g`, as in production
        try:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)
        cases[role] += 1
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            errors.append(f"{case.method} {case.formatted_path} → {response.status_code}")
        case.validate_response(response, checks=CHECKS)

    return run


def test_schemathesis_every_operation_as_two_roles(app, world):
    app.config.update(API_TOKEN_RATE_LIMIT="100000 per minute", API_IP_RATE_LIMIT="100000 per minute")
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        _, system = service_token(world.admin, world.org_a)
        roles = {"provider system (service token)": system,
                 "programme office (personal token)": personal_token(world.programme_office)}
        known = _known_ids(world)
        cases: Counter = Counter()
        statuses: Counter = Counter()
        errors: list = []
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            params = {p.name for p in operation.path_parameters}
            for role, token in roles.items():
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    generated = operation.as_strategy(generation_mode=mode)
                    if params:  # half the cases aim at records that exist, so bodies reach the services
                        generated = st.one_of(generated, operation.as_strategy(
                            generation_mode=mode, path_parameters={k: known[k] for k in params}))

                    run = _runner(generated, token, role, cases, statuses, errors)
                    run()
        total = sum(cases.values())
        server_errors = len(errors)
        print(f"\nschemathesis: {operations} operations × 2 roles × (valid, invalid data): {total} cases "
              f"({', '.join(f'{r}: {n}' for r, n in cases.items())}); {server_errors} server errors; "
              f"0 schema-breaking responses; statuses {dict(sorted(statuses.items()))}")
        assert operations >= 19 and server_errors == 0 and total >= operations * 2 * 2 * 5
        assert statuses[200] + statuses[201] > 0
    finally:
        app.config.update(API_TOKEN_RATE_LIMIT="120 per minute", API_IP_RATE_LIMIT="600 per minute")
