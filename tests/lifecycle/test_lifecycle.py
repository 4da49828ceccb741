"""The index lifecycle state machine (:mod:`tests.lifecycle.machine`), a bounded run on
each store. ``bench/soak.py`` runs it longer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.lifecycle.machine import Lifecycle

BOUNDED = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same sequences on every CI run; bench/soak.py explores
)


@pytest.mark.slow
def test_the_embedded_index_survives_any_sequence_of_user_actions() -> None:
    run_state_machine_as_test(Lifecycle, settings=BOUNDED)


@pytest.mark.slow
def test_a_postgresql_index_survives_any_sequence_of_user_actions(postgres_url: str) -> None:
    class OnPostgres(Lifecycle):
        store_url = postgres_url

    run_state_machine_as_test(OnPostgres, settings=BOUNDED)
