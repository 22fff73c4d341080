"""The safety rules: why a program must stop now.

:class:`SafetyGuard` is pure: the Home Assistant layer feeds it what it observes (heart rate,
presence, machine status, link) with the time, and whether the belt moves under RetroWalk's
control; it answers with the reason to stop, or None. The reason, once found, stays: a
program never resumes by itself after a safety stop.
"""

from enum import StrEnum
import math
from typing import Final

from .limits import SafetyLimits


class SafetyReason(StrEnum):
    """Why a program was aborted."""

    HEART_RATE = "heart_rate"
    PRESENCE_LOST = "presence_lost"
    SAFETY_KEY = "safety_key"
    CONTROL_LOST = "control_lost"
    CONSOLE_STOP = "console_stop"
    BELT_STARTED_WHILE_HELD = "belt_started_while_held"
    LINK_LOST = "link_lost"
    SESSION_TOO_LONG = "session_too_long"
    HOME_ASSISTANT_STOPPING = "home_assistant_stopping"
    USER_STOP = "user_stop"
    PAIN_STOP = "pain_stop"
    TURNAROUND_TIMEOUT = "turnaround_timeout"
    PAUSE_TOO_LONG = "pause_too_long"
    COMMAND_FAILED = "command_failed"


class HeartRateSource(StrEnum):
    """Where a heart-rate reading comes from."""

    TREADMILL = "treadmill"
    SENSOR = "sensor"


# Fitness Machine Status op codes (FTMS 0x2ADA) that end a program; kept here as plain numbers
# because this package does not import the FTMS package.
STATUS_STOPPED_OR_PAUSED_BY_USER: Final = 0x02
STATUS_STOPPED_BY_SAFETY_KEY: Final = 0x03
STATUS_CONTROL_PERMISSION_LOST: Final = 0xFF

_STATUS_REASONS: Final = {
    STATUS_STOPPED_OR_PAUSED_BY_USER: SafetyReason.CONSOLE_STOP,
    STATUS_STOPPED_BY_SAFETY_KEY: SafetyReason.SAFETY_KEY,
    STATUS_CONTROL_PERMISSION_LOST: SafetyReason.CONTROL_LOST,
}

SESSION_GRACE_S: Final = 30.0
"""Slack on the session limit: a plan may last exactly the limit, and the last ramp step or
the final stop may take a moment; a safety stop in the last seconds of a cool-down helps no one.
"""


class SafetyGuard:
    """Evaluates the safety rules while the belt moves under RetroWalk's control.

    Event rules (machine status 02/03/FF) trip at once when they arrive while active; a lost
    link trips while active. Time rules (presence lost for ``presence_lost_s``, session longer
    than ``max_session_s``) trip when :meth:`check` runs at or after :meth:`next_deadline`, so
    the caller schedules a check there. Presence counts from the moment the sensor went off,
    even if that was before the belt started: the belt must not run with nobody on it.
    Session time is the time the belt moved under control, the same clock the runner uses
    for the program, so waits at turnarounds and pauses do not count.
    """

    def __init__(
        self,
        limits: SafetyLimits,
        *,
        session_grace_s: float = SESSION_GRACE_S,
        watch_session: bool = True,
    ) -> None:
        """Guard with ``limits``; nothing is active until :meth:`belt_started`.

        ``watch_session`` False leaves the session limit out: it bounds programs, while a walk
        the person steers by hand lasts as long as they like.
        """
        self._limits = limits
        self._session_grace_s = session_grace_s if watch_session else math.inf
        self._session_budget_s = limits.max_session_s + self._session_grace_s
        self._tripped: SafetyReason | None = None
        self._active_since: float | None = None
        self._active_total_s = 0.0
        self._heart_rates: dict[HeartRateSource, float] = {}
        self._absent_since: float | None = None
        self._link_up = True

    def update_limits(self, limits: SafetyLimits) -> None:
        """Guard with new limits from now on (the person changed them during a walk).

        What was observed stays: a heart rate above a lowered limit, an absence longer than a
        shortened timeout, or a session past a shortened limit trips at the next check.
        """
        self._limits = limits
        self._session_budget_s = limits.max_session_s + self._session_grace_s

    @property
    def active(self) -> bool:
        """Whether the belt moves under RetroWalk's control."""
        return self._active_since is not None

    @property
    def nobody_present(self) -> bool:
        """Whether the linked presence sensor reports nobody there right now."""
        return self._absent_since is not None

    @property
    def tripped(self) -> SafetyReason | None:
        """The reason found, which stays once found."""
        return self._tripped

    def session_time_s(self, now: float) -> float:
        """The time the belt has moved under control."""
        if self._active_since is None:
            return self._active_total_s
        return self._active_total_s + (now - self._active_since)

    def belt_started(self, now: float) -> SafetyReason | None:
        """Note that the belt moves under control from ``now``; return the reason to stop."""
        if self._active_since is None:
            self._active_since = now
        return self.check(now)

    def belt_stopped(self, now: float) -> None:
        """Note that the belt stands (pause, turnaround, end of program) from ``now``."""
        if self._active_since is not None:
            self._active_total_s += now - self._active_since
            self._active_since = None

    def observe_heart_rate(
        self, bpm: float | None, source: HeartRateSource, now: float
    ) -> SafetyReason | None:
        """Record a heart rate; None, 0 or not a number means the source has no reading."""
        if bpm is None or not math.isfinite(bpm) or bpm <= 0:
            self._heart_rates.pop(source, None)
        else:
            self._heart_rates[source] = bpm
        return self.check(now)

    def observe_presence(self, present: bool | None, now: float) -> SafetyReason | None:
        """Record the linked presence sensor; None (unavailable) counts as nobody there.

        Call it once when the program starts if a sensor is linked; without any call the
        presence rule stays off.
        """
        if present:
            self._absent_since = None
        elif self._absent_since is None:
            self._absent_since = now
        return self.check(now)

    def observe_machine_status(self, op: int, now: float) -> SafetyReason | None:
        """Record a Fitness Machine Status op code; 02, 03 and FF trip while active."""
        reason = _STATUS_REASONS.get(op)
        if reason is not None and self.active:
            self._trip(reason)
        return self.check(now)

    def observe_link(self, connected: bool, now: float) -> SafetyReason | None:
        """Record whether the Bluetooth link is up."""
        self._link_up = connected
        return self.check(now)

    def check(self, now: float) -> SafetyReason | None:
        """Return the reason to stop now, or None."""
        if self._tripped is None and self.active:
            self._trip(self._find_reason(now))
        return self._tripped

    def check_before_restart(self, now: float) -> SafetyReason | None:
        """The reason the standing belt must not start again (it then stays), or None.

        While the belt stands the rules are not judged: a heart rate may rise on the way back
        to the rails. Starting the belt again is judged, before anything is sent.
        """
        self._trip(self._find_reason(now))
        return self._tripped

    def next_deadline(self) -> float | None:
        """The time at which a time rule would trip if nothing changes, or None."""
        if self._tripped is not None or self._active_since is None:
            return None
        deadlines = [self._active_since + self._session_budget_s - self._active_total_s]
        if self._absent_since is not None:
            deadlines.append(self._absent_since + self._limits.presence_lost_s)
        deadline = min(deadlines)
        return deadline if math.isfinite(deadline) else None

    def _trip(self, reason: SafetyReason | None) -> None:
        if self._tripped is None:
            self._tripped = reason

    def _find_reason(self, now: float) -> SafetyReason | None:
        if not self._link_up:
            return SafetyReason.LINK_LOST
        limit = self._limits.max_heart_rate_bpm
        if limit is not None and any(bpm > limit for bpm in self._heart_rates.values()):
            return SafetyReason.HEART_RATE
        if (
            self._absent_since is not None
            and now - self._absent_since >= self._limits.presence_lost_s
        ):
            return SafetyReason.PRESENCE_LOST
        if self.session_time_s(now) >= self._session_budget_s:
            return SafetyReason.SESSION_TOO_LONG
        return None
