"""Behind a transaction pooler the app checks the bounds the pooler sets: none, or looser
than DATABASE_TIMEOUT asks, is refused in one line (the pooler itself:
tests/deploy/test_pgbouncer.py)."""

import pytest

import config
from pooler import refusal

BOUNDS = config.timeouts(5)  # statement_timeout 5000 ms, lock_timeout 2500 ms


@pytest.mark.parametrize(
    "found",
    [
        {"statement_timeout": 5000, "lock_timeout": 2500},
        {"statement_timeout": 1000, "lock_timeout": 100},
    ],
)
def test_bounds_at_or_within_the_settings_pass(found):
    assert refusal(found, BOUNDS) is None


@pytest.mark.parametrize(
    ("found", "named"),
    [
        ({"statement_timeout": 0, "lock_timeout": 2500}, "statement_timeout=0ms"),
        ({"statement_timeout": 5000, "lock_timeout": 0}, "lock_timeout=0ms"),
        ({"statement_timeout": 5001, "lock_timeout": 2500}, "statement_timeout=5001ms"),
        ({"statement_timeout": 5000}, "lock_timeout=0ms"),
    ],
)
def test_no_bound_or_a_looser_one_is_refused_in_one_line(found, named):
    problem = refusal(found, BOUNDS)
    assert problem is not None
    assert named in problem
    assert "statement_timeout <= 5000ms, lock_timeout <= 2500ms" in problem
    assert "\n" not in problem
