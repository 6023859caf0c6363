"""Fuzzing with schemathesis against the app's own OpenAPI document, in process.

Every operation is called with schemathesis' positive and negative data and a fresh
access token of a logged-in user, and every check schemathesis has runs on each
response (no 500, declared status codes, content types, headers and schemas, negative
data rejected, auth not ignored). A stateful run chains the operations through their
links, which is where use-after-free and resource availability are checked.

Deterministic (derandomized, no example database) and bounded by max_examples.
(schemathesis' pytest plugin with `from_fixture` does not work with pytest 9, so the
operations are driven through their hypothesis strategies directly.)
"""

import itertools

import pytest
import schemathesis
from flask_jwt_extended import decode_token
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.generation import GenerationMode

from db import db
from models import LoginSession, User
from security.passwords import hash_password
from tests.conftest import PASSWORD, bearer

USERNAME = "fuzzer"
FRESH_IDS = itertools.count(10_000)  # ids for a deleted fuzzer account brought back
MAX_EXAMPLES = 30
STATEFUL_EXAMPLES = 25
STEPS = 8


def hypothesis_settings(max_examples: int = MAX_EXAMPLES) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


def fresh_tokens(app, client) -> dict:
    """Fresh tokens for USERNAME from a password login. Earlier cases may have logged it out,
    changed its password or deleted it: put the account back first, straight in
    the database (not through /register, whose rate limit the fuzzer spends)."""
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(username=USERNAME)).scalar_one_or_none()
        if user is None:
            # Back under an id nobody had: SQLite would hand out the deleted (highest) id
            # again, and schemathesis would rightly see the deleted user "still there".
            db.session.add(
                User(id=next(FRESH_IDS), username=USERNAME, password=hash_password(PASSWORD))
            )
        else:
            user.password = hash_password(PASSWORD)
        db.session.commit()
    response = client.post("/login", json={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def api_schema(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    # The contract answers a duplicate store or tag name with 400, not 409: a valid
    # body that the data refuses. positive_data_acceptance must accept that answer.
    acceptance = schema.config.checks.positive_data_acceptance
    acceptance.expected_statuses = [*acceptance.expected_statuses, "400"]
    return schema


class Fuzzer:
    """The fuzzing account's tokens, from a new password login only when a case ended
    their session (logged out, changed the password, deleted the account) or spends the
    refresh token: a login before every case was 40 % of the fuzzing's time."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.tokens: dict | None = None

    def token_for(self, operation) -> str:
        refresh = operation.path == "/refresh"  # a refresh token is good for one refresh
        if refresh or not self.session_alive():
            self.tokens = fresh_tokens(self.app, self.client)
        return self.tokens["refresh_token" if refresh else "access_token"]

    def session_alive(self) -> bool:
        if self.tokens is None:
            return False
        with self.app.app_context():
            sid = decode_token(self.tokens["access_token"])["sid"]
            alive = db.session.get(LoginSession, sid) is not None
            db.session.remove()
        return alive


@pytest.fixture
def fuzzer(app, client) -> Fuzzer:
    return Fuzzer(app, client)


def fuzz(fuzzer: Fuzzer, operation, mode, checks) -> str | None:
    """Run one operation's cases; schemathesis' report of what failed, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings()
    def run(case):
        headers = bearer(fuzzer.token_for(operation))
        case.call_and_validate(headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:
        # Nothing to negate: the operation takes no parameters and no body.
        assert mode == GenerationMode.NEGATIVE, operation.label
    except BaseExceptionGroup as error:  # schemathesis' FailureGroup
        return "\n".join(str(error).splitlines()[:60])
    return None


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(fuzzer, api_schema, mode):
    checks = all_checks()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 17
    failures = {}
    for operation in operations:
        failure = fuzz(fuzzer, operation, mode, checks)
        if failure:
            failures[operation.label] = failure
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_stateful_links(app, fuzzer, api_schema):
    """Chains of calls along the links schemathesis infers (create a store, then read,
    change and delete it and its items and tags...): use_after_free and
    ensure_resource_availability need such chains."""
    checks = all_checks()
    workflow = api_schema.as_state_machine()

    class Workflow(workflow):
        def setup(self):
            # Each scenario starts from an empty database, as hypothesis expects.
            with app.app_context():
                db.session.remove()
                db.drop_all()
                db.create_all()

        def get_call_kwargs(self, case):
            return {"headers": bearer(fuzzer.token_for(case.operation))}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                checks=checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            hypothesis_settings(max_examples=STATEFUL_EXAMPLES),
            stateful_step_count=STEPS,
            # No shrinking: report the first failing chain as found.
            phases=[Phase.explicit, Phase.generate],
        )
    )
