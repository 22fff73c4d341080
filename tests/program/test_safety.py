"""Every rule of the safety guard."""

import pytest

from custom_components.retrowalk.program import (
    HeartRateSource,
    SafetyGuard,
    SafetyLimits,
    SafetyReason,
)
from custom_components.retrowalk.program.safety import (
    SESSION_GRACE_S,
    STATUS_CONTROL_PERMISSION_LOST,
    STATUS_STOPPED_BY_SAFETY_KEY,
    STATUS_STOPPED_OR_PAUSED_BY_USER,
)

LIMITS = SafetyLimits(max_heart_rate_bpm=140, presence_lost_s=5.0, max_session_s=600.0)


def active_guard(limits: SafetyLimits = LIMITS, now: float = 0.0) -> SafetyGuard:
    guard = SafetyGuard(limits)
    assert guard.belt_started(now) is None
    return guard


def test_a_quiet_session_trips_nothing() -> None:
    guard = active_guard()
    assert guard.active
    assert guard.observe_heart_rate(120, HeartRateSource.TREADMILL, 10.0) is None
    assert guard.observe_presence(True, 11.0) is None
    assert guard.observe_machine_status(0x04, 12.0) is None  # started by the user: no stop
    assert guard.observe_link(True, 13.0) is None
    assert guard.check(100.0) is None
    assert guard.tripped is None


@pytest.mark.parametrize("source", list(HeartRateSource))
def test_heart_rate_above_the_limit_from_either_source(source: HeartRateSource) -> None:
    guard = active_guard()
    assert guard.observe_heart_rate(140, source, 1.0) is None  # at the limit is not above
    assert guard.observe_heart_rate(141, source, 2.0) is SafetyReason.HEART_RATE


def test_heart_rate_rule_is_off_without_a_limit() -> None:
    guard = active_guard(SafetyLimits())
    assert guard.observe_heart_rate(220, HeartRateSource.SENSOR, 1.0) is None


@pytest.mark.parametrize("missing", [None, 0, float("nan")])
def test_a_missing_reading_clears_that_source_only(missing: float | None) -> None:
    guard = SafetyGuard(LIMITS)
    guard.observe_heart_rate(150, HeartRateSource.TREADMILL, 0.0)
    guard.observe_heart_rate(150, HeartRateSource.SENSOR, 0.0)
    guard.observe_heart_rate(missing, HeartRateSource.TREADMILL, 0.0)
    # The sensor still reads 150 when the belt starts.
    assert guard.belt_started(1.0) is SafetyReason.HEART_RATE


def test_heart_rate_is_judged_only_while_the_belt_moves() -> None:
    guard = SafetyGuard(LIMITS)
    assert guard.observe_heart_rate(180, HeartRateSource.SENSOR, 0.0) is None
    guard.observe_heart_rate(None, HeartRateSource.SENSOR, 1.0)
    assert guard.belt_started(2.0) is None


def test_starting_the_standing_belt_again_is_judged_before_it_starts() -> None:
    guard = active_guard()
    guard.belt_stopped(30.0)
    assert guard.observe_heart_rate(150, HeartRateSource.TREADMILL, 35.0) is None
    assert guard.check_before_restart(36.0) is SafetyReason.HEART_RATE
    assert guard.tripped is SafetyReason.HEART_RATE


def test_a_calm_restart_is_allowed() -> None:
    guard = active_guard()
    guard.belt_stopped(30.0)
    assert guard.observe_heart_rate(130, HeartRateSource.TREADMILL, 35.0) is None
    assert guard.check_before_restart(36.0) is None
    assert guard.tripped is None


def test_presence_lost_for_the_set_time() -> None:
    guard = active_guard()
    assert guard.observe_presence(False, 10.0) is None
    assert guard.next_deadline() == 15.0
    assert guard.check(14.9) is None
    assert guard.check(15.0) is SafetyReason.PRESENCE_LOST


def test_presence_back_in_time_resets_the_timer() -> None:
    guard = active_guard()
    guard.observe_presence(False, 10.0)
    guard.observe_presence(False, 12.0)  # still off: the timer keeps its start
    assert guard.next_deadline() == 15.0
    assert guard.observe_presence(True, 14.0) is None
    assert guard.check(20.0) is None
    guard.observe_presence(False, 30.0)
    assert guard.check(34.0) is None
    assert guard.check(35.0) is SafetyReason.PRESENCE_LOST


def test_an_unavailable_presence_sensor_counts_as_nobody_there() -> None:
    guard = active_guard()
    guard.observe_presence(None, 0.0)
    assert guard.check(5.0) is SafetyReason.PRESENCE_LOST


def test_presence_lost_before_the_belt_started_counts() -> None:
    guard = SafetyGuard(LIMITS)
    guard.observe_presence(False, 0.0)
    assert guard.check(100.0) is None  # belt not moving: nothing to stop
    assert guard.belt_started(100.0) is SafetyReason.PRESENCE_LOST


def test_without_a_presence_sensor_the_rule_is_off() -> None:
    guard = active_guard()
    assert guard.next_deadline() == 600.0 + SESSION_GRACE_S
    assert guard.check(500.0) is None


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        (STATUS_STOPPED_OR_PAUSED_BY_USER, SafetyReason.CONSOLE_STOP),
        (STATUS_STOPPED_BY_SAFETY_KEY, SafetyReason.SAFETY_KEY),
        (STATUS_CONTROL_PERMISSION_LOST, SafetyReason.CONTROL_LOST),
    ],
)
def test_machine_events_stop_the_program(op: int, reason: SafetyReason) -> None:
    guard = active_guard()
    assert guard.observe_machine_status(op, 1.0) is reason


def test_machine_events_while_the_belt_stands_are_ignored() -> None:
    # The runner's own pause at a turnaround makes the machine report "stopped or paused".
    guard = active_guard()
    guard.belt_stopped(5.0)
    assert guard.observe_machine_status(STATUS_STOPPED_OR_PAUSED_BY_USER, 5.1) is None
    assert guard.observe_machine_status(STATUS_CONTROL_PERMISSION_LOST, 5.2) is None
    assert guard.belt_started(10.0) is None


def test_link_lost_while_moving() -> None:
    guard = active_guard()
    assert guard.observe_link(False, 3.0) is SafetyReason.LINK_LOST


def test_link_lost_while_standing_trips_when_the_belt_moves() -> None:
    guard = SafetyGuard(LIMITS)
    assert guard.observe_link(False, 0.0) is None
    assert guard.belt_started(1.0) is SafetyReason.LINK_LOST


def test_session_time_counts_only_while_the_belt_moves() -> None:
    guard = active_guard()
    guard.belt_stopped(300.0)  # a turnaround
    assert guard.session_time_s(1000.0) == 300.0
    assert guard.next_deadline() is None
    assert guard.check(1000.0) is None
    guard.belt_started(1000.0)
    guard.belt_started(1100.0)  # a second start call changes nothing
    budget = 600.0 + SESSION_GRACE_S
    assert guard.next_deadline() == 1000.0 + budget - 300.0
    assert guard.check(1000.0 + budget - 300.0 - 0.1) is None
    assert guard.check(1000.0 + budget - 300.0) is SafetyReason.SESSION_TOO_LONG


def test_a_plan_as_long_as_the_limit_is_not_stopped_at_its_end() -> None:
    guard = active_guard()
    assert guard.check(600.0 + SESSION_GRACE_S / 2) is None


def test_the_nearest_deadline_wins() -> None:
    guard = active_guard()
    guard.observe_presence(False, 100.0)
    assert guard.next_deadline() == 105.0


def test_a_reason_once_found_stays() -> None:
    guard = active_guard()
    assert (
        guard.observe_machine_status(STATUS_STOPPED_BY_SAFETY_KEY, 1.0) is SafetyReason.SAFETY_KEY
    )
    # Later observations neither clear nor replace it; nothing to schedule any more.
    assert guard.observe_link(False, 2.0) is SafetyReason.SAFETY_KEY
    assert (
        guard.observe_machine_status(STATUS_CONTROL_PERMISSION_LOST, 2.5) is SafetyReason.SAFETY_KEY
    )
    guard.belt_stopped(3.0)
    assert guard.check(4.0) is SafetyReason.SAFETY_KEY
    assert guard.tripped is SafetyReason.SAFETY_KEY
    assert guard.next_deadline() is None
    assert not guard.active


def test_belt_stopped_twice_is_harmless() -> None:
    guard = active_guard()
    guard.belt_stopped(10.0)
    guard.belt_stopped(20.0)
    assert guard.session_time_s(30.0) == 10.0


def test_a_walk_by_hand_has_no_session_limit() -> None:
    guard = SafetyGuard(LIMITS, watch_session=False)
    assert guard.belt_started(0.0) is None
    assert guard.next_deadline() is None
    assert guard.check(100_000.0) is None
    assert guard.observe_presence(False, 100_001.0) is None
    assert guard.next_deadline() == 100_006.0
    assert guard.check(100_006.0) is SafetyReason.PRESENCE_LOST


def test_nobody_present_follows_the_presence_sensor() -> None:
    guard = active_guard()
    assert not guard.nobody_present
    guard.observe_presence(False, 1.0)
    assert guard.nobody_present
    guard.observe_presence(True, 2.0)
    assert not guard.nobody_present
