"""Ordering of a job's states: terminal beats running, later beats earlier, equal is equal."""

from datetime import UTC, datetime, timedelta

from automl_archive.logic.state import ordering_key, state_id

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_later_running_state_outranks_earlier():
    assert ordering_key("InProgress", T0 + timedelta(seconds=1)) > ordering_key("InProgress", T0)


def test_terminal_outranks_any_running_state_even_if_clock_is_behind():
    assert ordering_key("Completed", T0) > ordering_key("InProgress", T0 + timedelta(days=1))


def test_stopping_outranks_in_progress_at_same_instant():
    assert ordering_key("Stopping", T0) > ordering_key("InProgress", T0)


def test_same_state_has_same_key_and_id():
    assert ordering_key("Failed", T0) == ordering_key("Failed", T0)
    assert state_id("Failed", "Failed", T0) == "20261120T090000.000000Z-Failed-Failed"


def test_ordering_key_exceeds_float_precision_but_stays_an_int():
    key = ordering_key("Completed", T0)
    assert isinstance(key, int)
    assert key > 2**53
