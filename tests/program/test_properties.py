"""Properties: valid settings never yield a plan or a command that breaks a rule."""

import asyncio
import itertools
import math

from hypothesis import HealthCheck, given, settings, strategies as st

from custom_components.retrowalk.program import (
    MAX_SPEED_STEP_KMH,
    DeviceLimits,
    DeviceRange,
    Phase,
    Plan,
    ProgramRunner,
    RampSettings,
    RunnerSnapshot,
    SafetyLimits,
    SafetyReason,
    SegmentSpec,
    VirtualClock,
    WalkingDirection,
    plan_from_parameters,
    plan_from_segments,
)

from ..examples_budget import examples
from .fakes import RecordingTreadmill, assert_commands_follow_the_rules, belt_runs, drive

FORWARD = WalkingDirection.FORWARD
BACKWARD = WalkingDirection.BACKWARD
PROPERTY_SETTINGS = settings(
    max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def devices(draw: st.DrawFn) -> DeviceLimits:
    speed_increment = draw(st.sampled_from([0.01, 0.05, 0.1, 0.2, 0.25, 0.5]))
    speed_minimum = draw(st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]))
    speed_maximum = draw(st.sampled_from([4.0, 6.0, 12.0, 20.0]))
    incline = None
    if draw(st.booleans()):
        incline = DeviceRange(
            draw(st.sampled_from([-3.0, 0.0])),
            draw(st.sampled_from([5.0, 10.0, 15.0])),
            draw(st.sampled_from([0.1, 0.5, 1.0])),
            quantity="incline",
        )
    return DeviceLimits(DeviceRange(speed_minimum, speed_maximum, speed_increment), incline)


@st.composite
def safety_limits(draw: st.DrawFn) -> SafetyLimits:
    return SafetyLimits(
        backward_speed_kmh=draw(st.floats(1.0, 5.6)),
        forward_speed_kmh=draw(st.floats(1.0, 6.0)),
        incline_pct=draw(st.floats(0.0, 10.0)),
    )


@st.composite
def ramps(draw: st.DrawFn) -> RampSettings:
    return RampSettings(
        speed_step_kmh=draw(st.sampled_from([0.05, 0.1, 0.1609344, 0.25, 0.5])),
        speed_interval_s=draw(st.sampled_from([1.0, 2.0, 3.0])),
        incline_step_pct=draw(st.sampled_from([0.1, 0.5, 1.0])),
        incline_interval_s=draw(st.sampled_from([2.0, 5.0])),
    )


@st.composite
def segment_lists(draw: st.DrawFn, limits: SafetyLimits) -> list[SegmentSpec]:
    count = draw(st.integers(1, 4))
    directions = draw(
        st.lists(st.sampled_from([FORWARD, BACKWARD]), min_size=count, max_size=count)
    )
    if BACKWARD not in directions:
        directions[draw(st.integers(0, count - 1))] = BACKWARD
    return [
        SegmentSpec(
            direction=direction,
            duration_s=draw(st.floats(30.0, 150.0)),
            target_speed_kmh=draw(st.floats(0.1, limits.speed_limit_kmh(direction))),
            target_incline_pct=draw(st.floats(0.0, limits.incline_pct)),
            incline_after_s=draw(st.floats(0.0, 60.0)),
        )
        for direction in directions
    ]


def on_grid(value: float, grid: DeviceRange) -> bool:
    position = (value - grid.minimum) / grid.increment
    return abs(position - round(position)) < 1e-6


def assert_plan_within_limits(plan: Plan, limits: SafetyLimits, device: DeviceLimits) -> None:
    assert plan.total_duration_s <= limits.max_session_s
    for before, segment, after in zip(
        (None, *plan.segments), plan.segments, (*plan.segments[1:], None), strict=False
    ):
        if segment.is_turnaround:
            assert before is not None
            assert after is not None
            assert before.direction is not after.direction
            continue
        speed = segment.target_speed_kmh
        assert device.lowest_moving_speed_kmh <= speed <= limits.speed_limit_kmh(segment.direction)
        assert speed <= device.speed.maximum
        assert on_grid(speed, device.speed)
        assert 0.0 <= segment.target_incline_pct <= limits.incline_pct + 1e-9
        if device.incline is not None:
            assert on_grid(segment.target_incline_pct, device.incline)
        else:
            assert segment.target_incline_pct == 0.0


def usable(device: DeviceLimits, limits: SafetyLimits) -> bool:
    lowest = device.lowest_moving_speed_kmh
    incline_ok = device.incline is None or max(device.incline.minimum, 0.0) <= limits.incline_pct
    return lowest <= min(limits.backward_speed_kmh, limits.forward_speed_kmh) and incline_ok


@PROPERTY_SETTINGS
@given(
    device=devices(),
    limits=safety_limits(),
    backward_minutes=st.floats(0.5, 30.0),
    speed_fraction=st.floats(0.0, 1.0),
    incline_fraction=st.floats(0.0, 1.0),
    warm_up_minutes=st.sampled_from([0.0, 0.5, 3.0, 5.0]),
    cool_down_minutes=st.sampled_from([0.0, 0.5, 3.0, 5.0]),
)
def test_valid_parameters_always_make_a_plan_within_the_limits(
    device: DeviceLimits,
    limits: SafetyLimits,
    backward_minutes: float,
    speed_fraction: float,
    incline_fraction: float,
    warm_up_minutes: float,
    cool_down_minutes: float,
) -> None:
    if not usable(device, limits):
        return
    plan = plan_from_parameters(
        backward_minutes=backward_minutes,
        backward_speed_kmh=max(0.1, speed_fraction * limits.backward_speed_kmh),
        incline_pct=incline_fraction * limits.incline_pct,
        warm_up_minutes=warm_up_minutes,
        cool_down_minutes=cool_down_minutes,
        warm_up_speed_kmh=min(2.5, limits.forward_speed_kmh),
        cool_down_speed_kmh=min(2.0, limits.forward_speed_kmh),
        device=device,
        limits=limits,
    )
    assert_plan_within_limits(plan, limits, device)
    assert math.isclose(plan.backward_duration_s, backward_minutes * 60)


@PROPERTY_SETTINGS
@given(
    data=st.data(),
    device=devices(),
    limits=safety_limits(),
    ramp=ramps(),
    latency_s=st.sampled_from([0.0, 0.2, 1.3, 2.5]),
    ready_after_s=st.floats(0.5, 60.0),
)
async def test_a_random_program_never_breaks_a_rule(
    data: st.DataObject,
    device: DeviceLimits,
    limits: SafetyLimits,
    ramp: RampSettings,
    latency_s: float,
    ready_after_s: float,
) -> None:
    if not usable(device, limits):
        return
    specs = data.draw(segment_lists(limits))
    plan = plan_from_segments(specs, device=device, limits=limits)
    assert_plan_within_limits(plan, limits, device)

    clock = VirtualClock()
    treadmill = RecordingTreadmill(clock, latency_s=latency_s)
    runner = ProgramRunner(plan, treadmill, clock, device=device, limits=limits, ramp=ramp)
    final = await drive(runner, clock, ready_after_s=ready_after_s)

    assert final.phase is Phase.FINISHED
    # Each belt run walks one direction; its speeds stay within that direction's limit.
    groups: list[list[float]] = [[]]
    ceilings: list[float] = []
    for segment in plan.segments:
        if segment.is_turnaround:
            groups.append([])
            continue
        if not groups[-1]:
            ceilings.append(limits.speed_limit_kmh(segment.direction))
        groups[-1].append(segment.target_speed_kmh)
    assert_commands_follow_the_rules(
        treadmill.calls,
        lowest_speed=device.lowest_moving_speed_kmh,
        speed_ceilings=ceilings,
        incline_ceiling=limits.incline_pct,
        speed_interval_s=ramp.speed_interval_s,
        incline_interval_s=ramp.incline_interval_s,
        speed_grid=(device.speed.minimum, device.speed.increment),
        incline_grid=(
            (device.incline.minimum, device.incline.increment) if device.incline else None
        ),
    )
    # The program never overshoots what its segments ask for.
    for run, targets in zip(belt_runs(treadmill.calls), groups, strict=True):
        speeds = [call.value for call in run if call.kind == "speed" and call.value is not None]
        assert max(speeds) <= max(targets) + 1e-9
        assert all(abs(b - a) <= MAX_SPEED_STEP_KMH + 1e-9 for a, b in itertools.pairwise(speeds))
    # Slow responses never stretch the walking time, and steps go out on their deadlines.
    assert final.elapsed_s <= plan.total_duration_s + 1e-6
    assert abs(runner.max_step_lateness_s) < 1e-6


@st.composite
def events(
    draw: st.DrawFn, limits: SafetyLimits, horizon_s: float
) -> list[tuple[float, str, float]]:
    """Things a person does at random times: speeds and inclines by hand, pause and resume."""
    happenings = []
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.floats(0.0, horizon_s))
        kind = draw(st.sampled_from(["speed", "incline", "pause"]))
        if kind == "speed":
            value = draw(st.floats(0.5, limits.backward_speed_kmh + 1.0))
        elif kind == "incline":
            value = draw(st.floats(0.0, limits.incline_pct + 1.0))
        else:
            value = draw(st.floats(1.0, 400.0))  # how long the pause lasts
        happenings.append((at, kind, value))
    return sorted(happenings)


class Person:
    """Plays the events against a runner in virtual time; confirms every turnaround."""

    def __init__(self, runner: ProgramRunner, treadmill: RecordingTreadmill) -> None:
        self.runner = runner
        self.treadmill = treadmill
        # (number of calls before it, kind, value, segment index) of each change by hand
        self.by_hand: list[tuple[int, str, float, int | None]] = []
        self.segment_of_call: list[int | None] = []
        treadmill.on_call = lambda _: self.segment_of_call.append(runner.snapshot().segment_index)

    def act(self, kind: str, value: float) -> float | None:
        """Do one thing; return when to resume after a pause."""
        segment = self.runner.snapshot().segment_index
        if kind == "pause":
            return value if self.runner.pause() else None
        change = (
            self.runner.manual_speed_change
            if kind == "speed"
            else self.runner.manual_incline_change
        )
        if change(value):
            self.by_hand.append((len(self.treadmill.calls), kind, value, segment))
        return None

    async def play(
        self, clock: VirtualClock, happenings: list[tuple[float, str, float]]
    ) -> RunnerSnapshot:
        task = asyncio.create_task(self.runner.run())
        pending = list(happenings)
        resume_at: float | None = None
        while True:
            await clock.settle()
            if task.done():
                return task.result()
            now = clock.monotonic()
            if self.runner.snapshot().waiting_for_ready:
                self.runner.ready()
            elif resume_at is not None and now >= resume_at:
                self.runner.resume()
                resume_at = None
            elif pending and pending[0][0] <= now:
                _, kind, value = pending.pop(0)
                pause_for = self.act(kind, value)
                if pause_for is not None:
                    resume_at = now + pause_for
            else:
                wakes = [clock.next_deadline, resume_at, pending[0][0] if pending else None]
                await clock.advance_to(min(t for t in wakes if t is not None))


@PROPERTY_SETTINGS
@given(data=st.data(), limits=safety_limits(), latency_s=st.sampled_from([0.0, 0.3]))
async def test_changes_by_hand_and_pauses_never_break_a_rule(
    data: st.DataObject, limits: SafetyLimits, latency_s: float
) -> None:
    device = DeviceLimits(
        DeviceRange(0.5, 16.0, 0.1), DeviceRange(0.0, 15.0, 0.5, quantity="incline")
    )
    if not usable(device, limits):
        return
    plan = plan_from_segments(data.draw(segment_lists(limits)), device=device, limits=limits)
    happenings = data.draw(events(limits, plan.total_duration_s + 60))
    clock = VirtualClock()
    treadmill = RecordingTreadmill(clock, latency_s=latency_s)
    runner = ProgramRunner(plan, treadmill, clock, device=device, limits=limits)
    person = Person(runner, treadmill)
    final = await person.play(clock, happenings)
    assert final.phase is Phase.FINISHED or final.abort_reason is SafetyReason.PAUSE_TOO_LONG

    # Replay the belt: its speed is what was last sent or set by hand.
    speeds_by_hand = {calls: value for calls, kind, value, _ in person.by_hand if kind == "speed"}
    speed: float | None = None
    last_step: dict[str, float] = {}
    ceiling = max(limits.backward_speed_kmh, limits.forward_speed_kmh)
    for index, call in enumerate(treadmill.calls):
        speed = speeds_by_hand.get(index, speed)
        if call.kind in {"start", "pause", "stop"}:
            speed = None
            if call.kind != "start":
                last_step.clear()
            continue
        assert call.value is not None
        if call.kind == "speed":
            if speed is not None:
                assert abs(call.value - speed) <= MAX_SPEED_STEP_KMH + 1e-9, call
                # Up only within the limits; from a faster speed set by hand, only down.
                assert call.value <= max(ceiling, speed) + 1e-9, call
            speed = call.value
        interval = 2.0 if call.kind == "speed" else 5.0
        assert all(call.at - previous >= interval - 1e-6 for previous in last_step.values())
        last_step[call.kind] = call.at
    # What a person last set by hand is never exceeded by the program in that segment.
    caps: dict[tuple[str, int | None], float] = {}
    changes = iter(sorted(person.by_hand, key=lambda change: change[0]))
    change = next(changes, None)
    for index, call in enumerate(treadmill.calls):
        while change is not None and change[0] <= index:
            caps[change[1], change[3]] = change[2]
            change = next(changes, None)
        cap = caps.get((call.kind, person.segment_of_call[index]))
        if cap is not None:
            assert (call.value or 0.0) <= cap + 1e-9, (call, cap)
