"""Session records: invariants, derived totals and the tolerant JSON form."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
import json
import logging
from typing import Any

import pytest

from custom_components.retrowalk.progress.model import (
    SNAPSHOT_VERSION,
    DayBucket,
    EndReason,
    SessionHistory,
    SessionRecord,
)

from .builders import BERLIN, local, utc

_BASE = SessionRecord(
    id="a",
    start=utc(2026, 5, 4, 21, 50),
    end=utc(2026, 5, 4, 22, 20),
    days=(
        DayBucket(date(2026, 5, 4), backward_s=300.0, forward_s=120.0, backward_distance_m=80.0),
        DayBucket(date(2026, 5, 5), backward_s=600.0, forward_s=180.0, backward_distance_m=150.5),
    ),
    distance_m=400.0,
    energy_kcal=31.5,
    level="beginner",
    ended_by=EndReason.SAFETY,
    safety_reason="safety_key",
)


def _record(**changes: Any) -> SessionRecord:
    return replace(_BASE, **changes)


def test_totals_are_the_sums_of_the_day_buckets() -> None:
    record = _record()
    assert record.backward_s == 900.0
    assert record.forward_s == 300.0
    assert record.backward_minutes == 15.0
    assert record.backward_distance_m == 230.5


def test_times_are_stored_in_utc() -> None:
    record = _record(start=local(BERLIN, 2026, 5, 4, 23, 50), end=local(BERLIN, 2026, 5, 5, 0, 20))
    assert record.start == utc(2026, 5, 4, 21, 50)
    assert record.start.utcoffset() == timedelta(0)
    assert record.end is not None
    assert record.end.utcoffset() == timedelta(0)


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        _record(end=utc(2026, 5, 4, 21, 49))


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        _record(start=utc(2026, 5, 4).replace(tzinfo=None))


@pytest.mark.parametrize(
    ("ended_by", "is_pain", "is_safety"),
    [
        (EndReason.PAIN, True, False),
        (EndReason.SAFETY, False, True),
        (EndReason.FINISHED, False, False),
        (EndReason.USER, False, False),
        (EndReason.INTERRUPTED, False, False),
        (None, False, False),
    ],
)
def test_pain_and_safety_flags(ended_by: EndReason | None, is_pain: bool, is_safety: bool) -> None:
    record = _record(ended_by=ended_by, safety_reason=None)
    assert (record.is_pain, record.is_safety) == (is_pain, is_safety)


def test_open_session() -> None:
    assert _record(end=None, ended_by=None, safety_reason=None).is_open
    assert not _record().is_open


def test_round_trip_through_json() -> None:
    record = _record()
    text = json.dumps(record.to_dict())
    assert SessionRecord.from_dict(json.loads(text)) == record
    open_record = _record(end=None, ended_by=None, safety_reason=None, level=None)
    assert SessionRecord.from_dict(json.loads(json.dumps(open_record.to_dict()))) == open_record


def test_persisted_layout() -> None:
    assert _record().to_dict() == {
        "id": "a",
        "start": "2026-05-04T21:50:00+00:00",
        "end": "2026-05-04T22:20:00+00:00",
        "level": "beginner",
        "ended_by": "safety",
        "safety_reason": "safety_key",
        "distance_m": 400.0,
        "energy_kcal": 31.5,
        "days": [
            {
                "date": "2026-05-04",
                "backward_s": 300.0,
                "forward_s": 120.0,
                "backward_distance_m": 80.0,
            },
            {
                "date": "2026-05-05",
                "backward_s": 600.0,
                "forward_s": 180.0,
                "backward_distance_m": 150.5,
            },
        ],
    }


def test_reading_is_tolerant_of_missing_and_unknown_keys() -> None:
    record = SessionRecord.from_dict(
        {
            "id": "old",
            "start": "2026-05-04T21:50:00",  # no offset: we only ever write UTC
            "end": "2026-05-04T22:20:00+00:00",
            "days": [{"date": "2026-05-04", "backward_s": 240, "future": 1}, "junk"],
            "distance_m": "not a number",
            "energy_kcal": float("nan"),
            "level": 3,
            "heart_rate_avg": 97,
        }
    )
    assert record.start == utc(2026, 5, 4, 21, 50)
    assert record.days == (DayBucket(date(2026, 5, 4), backward_s=240.0),)
    assert (record.distance_m, record.energy_kcal, record.level) == (0.0, 0.0, None)
    assert record.ended_by is None


@pytest.mark.parametrize(
    ("stored", "reason", "cause"),
    [
        ({"ended_by": "safety:presence_lost"}, EndReason.SAFETY, "presence_lost"),
        ({"ended_by": "safety", "safety_reason": "heart_rate"}, EndReason.SAFETY, "heart_rate"),
        ({"ended_by": "safety:x", "safety_reason": "heart_rate"}, EndReason.SAFETY, "heart_rate"),
        ({"ended_by": "safety"}, EndReason.SAFETY, None),
        ({"ended_by": "pain", "safety_reason": "ignored"}, EndReason.PAIN, None),
        ({"ended_by": "finished"}, EndReason.FINISHED, None),
        ({"ended_by": "a_reason_from_the_future"}, EndReason.USER, None),
        ({"ended_by": 7}, None, None),
    ],
)
def test_reading_end_reasons(
    stored: dict[str, object], reason: EndReason | None, cause: str | None
) -> None:
    record = SessionRecord.from_dict({"id": "x", "start": "2026-05-04T21:50:00+00:00", **stored})
    assert (record.ended_by, record.safety_reason) == (reason, cause)


@pytest.mark.parametrize(
    "stored",
    [
        {"start": "2026-05-04T21:50:00+00:00"},
        {"id": "", "start": "2026-05-04T21:50:00+00:00"},
        {"id": "x"},
        {"id": "x", "start": "yesterday"},
        {"id": "x", "start": "2026-05-04T21:50:00+00:00", "days": [{"backward_s": 3}]},
        {"id": "x", "start": "2026-05-04T21:50:00+00:00", "days": [{"date": "May 4"}]},
    ],
)
def test_records_that_cannot_mean_anything_are_refused(stored: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the defect
        SessionRecord.from_dict(stored)


def test_history_sorts_sessions_by_start() -> None:
    late = _record(id="late", start=utc(2026, 5, 6), end=utc(2026, 5, 6, 1))
    early = _record(id="early")
    assert [s.id for s in SessionHistory(sessions=(late, early)).sessions] == ["early", "late"]


def test_history_round_trip_and_layout() -> None:
    history = SessionHistory(sessions=(_record(),), pruned_backward_distance_m=1234.5)
    data = json.loads(json.dumps(history.to_dict()))
    assert data["version"] == SNAPSHOT_VERSION
    assert data["pruned_backward_distance_m"] == 1234.5
    assert SessionHistory.from_dict(data) == history


def test_history_skips_unreadable_sessions(caplog: pytest.LogCaptureFixture) -> None:
    good = _record().to_dict()
    with caplog.at_level(logging.WARNING):
        history = SessionHistory.from_dict(
            {"sessions": [good, {"id": "broken"}, "junk"], "extra": 1}
        )
    assert [s.id for s in history.sessions] == ["a"]
    assert history.pruned_backward_distance_m == 0.0
    assert "unreadable" in caplog.text
    assert "not an object" in caplog.text


def test_history_from_an_empty_or_foreign_document() -> None:
    assert SessionHistory.from_dict({}) == SessionHistory()
    assert SessionHistory.from_dict({"sessions": "nope"}) == SessionHistory()
