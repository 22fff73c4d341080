"""Per-session counters derived from what the treadmill reports."""

from dataclasses import dataclass

from .ftms import TreadmillData


@dataclass(frozen=True, slots=True)
class SessionCounters:
    """Distance walked in the current session, whatever the treadmill's counter means.

    Some treadmills report a lifetime odometer as Total Distance, others restart it at every
    start, and some restart it in the middle of a session. The session distance is therefore
    the increase since the first value seen in the session, carried across counter restarts.
    A session begins when the belt moves after a stop and ends at the next stop; the last
    session's distance stays shown until the next one begins.
    """

    active: bool = False
    baseline_m: float | None = None
    last_total_m: float | None = None
    carried_m: float = 0.0

    @property
    def distance_m(self) -> float | None:
        """Metres walked in this (or the last) session; None before any distance was seen."""
        if self.baseline_m is None or self.last_total_m is None:
            return None
        return self.carried_m + self.last_total_m - self.baseline_m

    def updated(self, data: TreadmillData) -> SessionCounters:
        """The counters after one more treadmill record."""
        counters = self
        if not counters.active:
            if not data.speed_kmh:
                return counters
            counters = SessionCounters(active=True)
        total = data.total_distance_m
        if total is None:
            return counters
        if counters.baseline_m is None or counters.last_total_m is None:
            return SessionCounters(active=True, baseline_m=total, last_total_m=total)
        if total < counters.last_total_m:
            # The treadmill restarted its counter: keep what was walked so far.
            return SessionCounters(
                active=True,
                baseline_m=total,
                last_total_m=total,
                carried_m=counters.carried_m + counters.last_total_m - counters.baseline_m,
            )
        if total == counters.last_total_m:
            return counters
        return SessionCounters(
            active=True,
            baseline_m=counters.baseline_m,
            last_total_m=total,
            carried_m=counters.carried_m,
        )

    def ended(self) -> SessionCounters:
        """The counters once the belt stopped: the distance stays, the session is closed."""
        if not self.active:
            return self
        return SessionCounters(
            active=False,
            baseline_m=self.baseline_m,
            last_total_m=self.last_total_m,
            carried_m=self.carried_m,
        )
