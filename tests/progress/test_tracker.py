"""Session tracking: attribution of moving-belt time, counters, persistence and pruning."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
import json
import logging

import pytest

from custom_components.retrowalk.progress.model import (
    DayBucket,
    Direction,
    EndReason,
    SessionHistory,
    SessionRecord,
)
from custom_components.retrowalk.progress.tracker import (
    DEFAULT_MAX_SAMPLE_GAP,
    DEFAULT_RESUME_WINDOW,
    SessionStateError,
    SessionTracker,
)
from custom_components.retrowalk.progress.weekly import (
    WeekSettings,
    summarize_week,
    total_backward_distance_m,
)

from .builders import (
    BACKWARD,
    BERLIN,
    FORWARD,
    NEW_YORK,
    ONE_WEEK,
    STOPPED,
    local,
    numbered_ids,
    phases,
    utc,
    walk,
)

S = timedelta(seconds=1)


def _tracker(time_zone: tzinfo = BERLIN) -> SessionTracker:
    return SessionTracker(time_zone, new_session_id=numbered_ids())


# -- attribution ---------------------------------------------------------------------------


def test_program_phases_are_attributed_by_the_direction_of_each_sample() -> None:
    tracker = _tracker()
    program = phases(
        (FORWARD, 3),  # warm-up
        (STOPPED, 0.5),  # turnaround, belt stopped
        (BACKWARD, 5),
        (STOPPED, 1),
        (FORWARD, 3),  # cool-down
    )
    record = walk(
        tracker, local(BERLIN, 2026, 5, 4, 18), program, level="beginner", sample_every_s=1
    )
    assert record.backward_s == 300
    assert record.forward_s == 360
    assert record.level == "beginner"
    assert record.ended_by is EndReason.FINISHED
    assert record.end == utc(2026, 5, 4, 16, 12, 30)
    assert tracker.history.sessions == (record,)


def _hold(
    tracker: SessionTracker,
    start: datetime,
    seconds: int,
    direction: Direction,
    *,
    moving: bool = True,
    every_s: int = 5,
) -> datetime:
    """Sample a steady state every few seconds, as treadmill notifications do."""
    for offset in range(0, seconds, every_s):
        tracker.sample(start + offset * S, moving=moving, direction=direction)
    return start + seconds * S


def test_manual_session_follows_the_walking_direction_select() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    # Forward for 2 minutes, then the person sets the select to backward (by voice) without
    # stopping the belt, walks 8 minutes, stops the belt and steps off a minute later.
    moment = _hold(tracker, start, 120, FORWARD)
    moment = _hold(tracker, moment, 480, BACKWARD)
    moment = _hold(tracker, moment, 60, BACKWARD, moving=False)
    record = tracker.end(moment, EndReason.USER)
    assert (record.forward_s, record.backward_s) == (120, 480)
    assert record.ended_by is EndReason.USER


def test_time_is_credited_to_the_state_of_the_earlier_sample() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    # Until the first sample the state is unknown: nothing is credited for it.
    tracker.sample(start + 2 * S, moving=True, direction=BACKWARD)
    tracker.sample(start + 12 * S, moving=False, direction=BACKWARD)  # 10 s moving
    tracker.sample(start + 20 * S, moving=True, direction=FORWARD)  # 8 s standing
    record = tracker.end(start + 25 * S, EndReason.USER)  # the last 5 s ran until the stop
    assert (record.backward_s, record.forward_s) == (10, 5)


def test_a_long_silence_credits_at_most_the_max_sample_gap() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD)
    tracker.sample(start + timedelta(minutes=10), moving=True, direction=BACKWARD)
    open_record = tracker.open_session
    assert open_record is not None
    assert open_record.backward_s == DEFAULT_MAX_SAMPLE_GAP.total_seconds()


def test_a_clock_stepping_back_credits_nothing() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD)
    tracker.sample(start - 5 * S, moving=True, direction=BACKWARD)
    tracker.sample(start + 5 * S, moving=True, direction=BACKWARD)
    record = tracker.end(start + 5 * S, EndReason.USER)
    assert record.backward_s == 10  # only the 10 s after the step back
    assert record.end == start + 5 * S


def test_end_before_start_is_clamped_to_start() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start + 100 * S, moving=True, direction=BACKWARD)
    tracker.sample(start + 120 * S, moving=False, direction=BACKWARD)
    record = tracker.end(start - 60 * S, EndReason.USER)  # clock jumped back before the stop
    assert record.end == record.start
    assert record.backward_s == 20


def test_the_session_crossing_midnight_is_split_into_local_days() -> None:
    tracker = _tracker(NEW_YORK)
    record = walk(
        tracker,
        local(NEW_YORK, 2026, 5, 4, 23, 52),
        phases((FORWARD, 3), (STOPPED, 1), (BACKWARD, 10)),
        reason=EndReason.FINISHED,
        sample_every_s=7,
    )
    assert record.days == (
        DayBucket(date(2026, 5, 4), backward_s=240.0, forward_s=180.0),
        DayBucket(date(2026, 5, 5), backward_s=360.0),
    )


def test_a_session_over_the_spring_forward_night_counts_real_minutes() -> None:
    tracker = _tracker()
    # 01:50 to 03:10 on the wall clock is 20 real minutes on 2026-03-29 in Berlin.
    record = walk(
        tracker, local(BERLIN, 2026, 3, 29, 1, 50), phases((BACKWARD, 20)), sample_every_s=10
    )
    assert record.days == (DayBucket(date(2026, 3, 29), backward_s=1200.0),)
    assert record.end is not None
    assert record.end.astimezone(BERLIN).hour == 3


def test_state_errors() -> None:
    tracker = _tracker()
    now = local(BERLIN, 2026, 5, 4, 18)
    with pytest.raises(SessionStateError):
        tracker.sample(now, moving=True, direction=BACKWARD)
    with pytest.raises(SessionStateError):
        tracker.end(now, EndReason.USER)
    tracker.begin(now)
    with pytest.raises(SessionStateError):
        tracker.begin(now)
    with pytest.raises(SessionStateError):
        tracker.resume_interrupted(now)
    with pytest.raises(ValueError, match="safety_reason"):
        tracker.end(now, EndReason.PAIN, safety_reason="safety_key")
    assert tracker.is_open


def test_safety_stop_keeps_its_cause() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD)
    record = tracker.end(start + 20 * S, EndReason.SAFETY, safety_reason="presence_lost")
    assert record.is_safety
    assert record.safety_reason == "presence_lost"


def test_open_session_is_part_of_the_live_history() -> None:
    tracker = _tracker()
    assert tracker.open_session is None
    assert not tracker.is_open
    start = local(BERLIN, 2026, 5, 4, 18)
    begun = tracker.begin(start, level="advanced")
    assert begun.is_open
    assert begun.id == "s1"
    tracker.sample(start, moving=True, direction=BACKWARD)
    tracker.sample(start + 20 * S, moving=True, direction=BACKWARD)
    [live] = tracker.history.sessions
    assert live.is_open
    assert live.backward_s == 20
    assert tracker.time_zone is BERLIN


@pytest.mark.parametrize("reason", [EndReason.USER, EndReason.FINISHED, EndReason.SAFETY])
def test_sessions_in_which_nothing_happened_are_not_kept(reason: EndReason) -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=False, direction=BACKWARD)
    record = tracker.end(start + 30 * S, reason)
    assert record.backward_s == 0
    assert tracker.history.sessions == ()


def test_a_pain_stop_is_kept_even_before_the_belt_moved() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    record = tracker.end(start + 30 * S, EndReason.PAIN)
    assert tracker.history.sessions == (record,)


# -- counters ------------------------------------------------------------------------------


def test_distance_and_energy_come_from_counter_deltas_of_a_lifetime_odometer() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    odometer = 123_456.0
    tracker.sample(
        start, moving=True, direction=FORWARD, total_distance_m=odometer, total_energy_kcal=900
    )
    tracker.sample(
        start + 60 * S,
        moving=False,
        direction=FORWARD,
        total_distance_m=odometer + 50,
        total_energy_kcal=904,
    )
    tracker.sample(
        start + 80 * S,
        moving=True,
        direction=BACKWARD,
        total_distance_m=odometer + 50,
        total_energy_kcal=904,
    )
    tracker.sample(
        start + 110 * S,
        moving=True,
        direction=BACKWARD,
        total_distance_m=odometer + 62,
        total_energy_kcal=906,
    )
    record = tracker.end(start + 110 * S, EndReason.FINISHED)
    assert record.distance_m == 62
    assert record.backward_distance_m == 12
    assert record.energy_kcal == 6


def test_counter_resets_jumps_and_gaps_are_not_credited() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    readings = [
        (0, 500.0, 20.0),  # baseline, whatever the machine counted before
        (10, 505.0, 21.0),  # +5 m, +1 kcal
        (20, 2.0, 0.0),  # the machine restarted its counters: nothing credited, new baseline
        (30, 9.0, 1.0),  # +7 m, +1 kcal
        (31, 5009.0, 400.0),  # a glitch far faster than any belt: new baseline, nothing credited
        (41, 5013.0, 401.0),  # +4 m, +1 kcal
        (51, None, None),  # not reported this time
        (61, 5021.0, float("nan")),  # +8 m; a broken energy reading is ignored
        (71, 5024.0, 402.0),  # +3 m, +1 kcal (since the last usable energy reading)
    ]
    for offset, distance, energy in readings:
        tracker.sample(
            start + offset * S,
            moving=True,
            direction=BACKWARD,
            total_distance_m=distance,
            total_energy_kcal=energy,
        )
    record = tracker.end(start + 71 * S, EndReason.USER)
    assert record.distance_m == 5 + 7 + 4 + 8 + 3
    assert record.backward_distance_m == pytest.approx(27)
    assert record.energy_kcal == 4


def test_distance_reported_after_the_belt_stopped_still_counts() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 23, 59)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD, total_distance_m=0)
    tracker.sample(start + 30 * S, moving=False, direction=BACKWARD, total_distance_m=10)
    # The belt coasted to a stop across midnight; the metres belong to the day they appear on.
    tracker.sample(start + 62 * S, moving=False, direction=BACKWARD, total_distance_m=11)
    record = tracker.end(start + 62 * S, EndReason.USER)
    assert record.days == (
        DayBucket(date(2026, 5, 4), backward_s=30.0, backward_distance_m=10.0),
        DayBucket(date(2026, 5, 5), backward_distance_m=1.0),
    )


def test_backward_distance_is_split_across_midnight_by_time() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 23, 59)
    tracker.begin(start)
    tracker.sample(start + 50 * S, moving=True, direction=BACKWARD, total_distance_m=100)
    tracker.sample(start + 70 * S, moving=True, direction=BACKWARD, total_distance_m=110)
    record = tracker.end(start + 70 * S, EndReason.USER)
    assert record.days == (
        DayBucket(date(2026, 5, 4), backward_s=10.0, backward_distance_m=5.0),
        DayBucket(date(2026, 5, 5), backward_s=10.0, backward_distance_m=5.0),
    )


# -- persistence ---------------------------------------------------------------------------


def _json(data: object) -> dict[str, object]:
    loaded = json.loads(json.dumps(data))
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("crash_after_s", [59, 60, 61, 119, 185, 600, 1199])
def test_a_crash_loses_at_most_the_minute_since_the_last_save(crash_after_s: int) -> None:
    """The Home Assistant layer saves once a minute while walking; a crash may come any time."""
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    saved = _json(tracker.snapshot())
    last_save = start
    for second in range(crash_after_s + 1):
        now = start + second * S
        tracker.sample(now, moving=True, direction=BACKWARD, total_distance_m=second * 0.5)
        if now - last_save >= timedelta(minutes=1):
            saved, last_save = _json(tracker.snapshot()), now
    crash_at = start + crash_after_s * S
    live = tracker.open_session
    assert live is not None
    assert live.backward_s == crash_after_s

    restart_at = crash_at + timedelta(minutes=2)
    restored = SessionTracker.from_snapshot(saved, restart_at, BERLIN)
    assert not restored.is_open
    if crash_after_s < 60:
        # Nothing was saved after the start; the empty session is not kept.
        assert restored.history.sessions == ()
        return
    [record] = restored.history.sessions
    assert record.id == live.id
    assert record.ended_by is EndReason.INTERRUPTED
    assert live.backward_s - record.backward_s <= 60
    assert record.end is not None
    assert crash_at - record.end <= timedelta(seconds=60)
    assert live.backward_distance_m - record.backward_distance_m <= 30


@pytest.mark.parametrize("crash_after_s", [30, 61, 233, 1234])
def test_saving_once_a_minute_with_a_checkpoint_loses_at_most_a_minute(crash_after_s: int) -> None:
    """Saves come from a timer, between samples; the checkpoint credits up to the save."""
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    tracker.sample(start, moving=True, direction=BACKWARD)
    saved = _json(tracker.snapshot())
    for second in range(1, crash_after_s + 1):
        now = start + second * S
        if second % 7 == 0:  # a notification every 7 s
            tracker.sample(now, moving=True, direction=BACKWARD)
        if second % 60 == 0:  # the Store's minute timer
            tracker.checkpoint(now)
            saved = _json(tracker.snapshot())
    restored = SessionTracker.from_snapshot(saved, start + timedelta(hours=1), BERLIN)
    credited = sum(s.backward_s for s in restored.history.sessions)
    assert crash_after_s - 60 <= credited <= crash_after_s
    assert credited == crash_after_s - crash_after_s % 60


def test_checkpoint_without_an_open_session_does_nothing() -> None:
    tracker = _tracker()
    tracker.checkpoint(local(BERLIN, 2026, 5, 4, 18))
    assert tracker.snapshot()["open_session"] is None
    assert tracker.history.sessions == ()


def test_restore_then_resume_when_the_belt_kept_moving() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    tracker.begin(start)
    _hold(tracker, start, 95, BACKWARD)  # the last sample at 90 s
    saved = _json(tracker.snapshot())
    assert saved["open_session"]["checkpoint_at"] == "2026-05-04T16:01:30+00:00"  # type: ignore[index]

    back_at = start + timedelta(minutes=3)
    restored = SessionTracker.from_snapshot(saved, back_at, BERLIN, new_session_id=numbered_ids())
    resumed = restored.resume_interrupted(back_at)
    assert resumed is not None
    assert resumed.is_open
    assert resumed.id == "s1"
    # The gap of the restart is not credited; the belt keeps going afterwards.
    moment = _hold(restored, back_at, 60, BACKWARD)
    record = restored.end(moment, EndReason.USER)
    assert record.backward_s == 150
    assert [s.id for s in restored.history.sessions] == ["s1"]


def test_resume_only_the_latest_recently_interrupted_session() -> None:
    tracker = _tracker()
    start = local(BERLIN, 2026, 5, 4, 18)
    assert tracker.resume_interrupted(start) is None  # empty history
    walk(tracker, start, phases((BACKWARD, 5)))
    assert tracker.resume_interrupted(start + timedelta(minutes=6)) is None  # finished normally

    tracker.begin(start + timedelta(hours=1))
    tracker.sample(start + timedelta(hours=1), moving=True, direction=BACKWARD)
    tracker.sample(start + timedelta(hours=1, minutes=1), moving=True, direction=BACKWARD)
    saved = _json(tracker.snapshot())
    checkpoint = start + timedelta(hours=1, minutes=1)
    too_late = checkpoint + DEFAULT_RESUME_WINDOW + S
    assert (
        SessionTracker.from_snapshot(saved, too_late, BERLIN).resume_interrupted(too_late) is None
    )
    in_time = checkpoint + DEFAULT_RESUME_WINDOW
    assert (
        SessionTracker.from_snapshot(saved, in_time, BERLIN).resume_interrupted(in_time) is not None
    )
    before = checkpoint - S  # a clock set back: not a resumable interruption
    assert SessionTracker.from_snapshot(saved, before, BERLIN).resume_interrupted(before) is None


def test_snapshot_round_trip_keeps_closed_history() -> None:
    tracker = _tracker()
    first = walk(
        tracker, local(BERLIN, 2026, 5, 4, 18), phases((BACKWARD, 5)), reason=EndReason.PAIN
    )
    second = walk(tracker, local(BERLIN, 2026, 5, 6, 18), phases((BACKWARD, 7)))
    saved = _json(tracker.snapshot())
    assert saved["open_session"] is None
    restored = SessionTracker.from_snapshot(saved, local(BERLIN, 2026, 5, 7), BERLIN)
    assert restored.history.sessions == (first, second)
    assert restored.snapshot() == saved


def test_restore_tolerates_damaged_open_sessions(caplog: pytest.LogCaptureFixture) -> None:
    now = utc(2026, 5, 4, 19)
    with caplog.at_level(logging.WARNING):
        restored = SessionTracker.from_snapshot({"open_session": {"id": "x"}}, now, BERLIN)
    assert restored.history.sessions == ()
    assert "unreadable open session" in caplog.text

    open_record = SessionRecord(
        id="o", start=utc(2026, 5, 4, 16), days=(DayBucket(date(2026, 5, 4), backward_s=300.0),)
    )
    without_checkpoint = SessionTracker.from_snapshot(
        {"open_session": open_record.to_dict()}, now, BERLIN
    )
    [closed] = without_checkpoint.history.sessions
    assert closed.end == utc(2026, 5, 4, 16, 5)  # the least the credited minutes needed

    with caplog.at_level(logging.WARNING):
        bad_checkpoint = SessionTracker.from_snapshot(
            {"open_session": {**open_record.to_dict(), "checkpoint_at": "soon"}}, now, BERLIN
        )
    assert bad_checkpoint.history.sessions[0].end == utc(2026, 5, 4, 16, 5)
    assert "Unreadable checkpoint" in caplog.text

    # An open record among the closed ones, and an open session already stored as closed.
    weird = {
        "sessions": [open_record.to_dict()],
        "open_session": {**open_record.to_dict(), "checkpoint_at": "2026-05-04T16:30:00+00:00"},
    }
    [only] = SessionTracker.from_snapshot(weird, now, BERLIN).history.sessions
    assert only.ended_by is EndReason.INTERRUPTED
    assert only.end == utc(2026, 5, 4, 16, 5)


# -- retention -----------------------------------------------------------------------------


def test_pruning_keeps_at_least_52_weeks_and_the_lifetime_distance() -> None:
    tracker = _tracker()
    first_monday = local(BERLIN, 2024, 1, 1, 18)
    for week in range(120):
        start = first_monday + week * ONE_WEEK
        tracker.begin(start)
        tracker.sample(start, moving=True, direction=BACKWARD, total_distance_m=0)
        tracker.sample(start + 20 * S, moving=True, direction=BACKWARD, total_distance_m=10)
        tracker.end(start + 20 * S, EndReason.FINISHED)
    history = tracker.history
    assert total_backward_distance_m(history) == 1200
    now = first_monday + 119 * ONE_WEEK
    oldest = history.sessions[0].start
    assert now - oldest >= timedelta(weeks=53)
    assert now - oldest <= timedelta(days=400)
    assert history.pruned_backward_distance_m > 0

    # The 52 weeks before the current one are complete, whatever the week start.
    settings = WeekSettings(time_zone=BERLIN, week_start=2)
    for weeks_back in range(53):
        assert summarize_week(history, now - weeks_back * ONE_WEEK, settings).backward_minutes > 0

    restored = SessionTracker.from_snapshot(_json(tracker.snapshot()), now + ONE_WEEK * 10, BERLIN)
    assert len(restored.history.sessions) < len(history.sessions)
    assert total_backward_distance_m(restored.history) == 1200


def test_prune_without_old_sessions_changes_nothing() -> None:
    history = SessionHistory(pruned_backward_distance_m=5.0)
    tracker = SessionTracker(BERLIN, history=history)
    tracker.prune(utc(2026, 5, 4))
    assert tracker.history is history


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match="retention"):
        SessionTracker(BERLIN, retention=timedelta(weeks=52))
    with pytest.raises(ValueError, match="max_sample_gap"):
        SessionTracker(BERLIN, max_sample_gap=timedelta(0))
