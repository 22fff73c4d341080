"""Benchmarks of RetroWalk against the simulated treadmill (development only, never shipped).

``python -m benchmarks`` (or ``scripts/bench``) runs every measurement in one process without
any network, prints a table and, as its last line, one JSON object with the figures.

- :mod:`.stop`: how fast ``FtmsClient.stop()`` is acknowledged, idle and behind a busy queue.
- :mod:`.ramp`: how punctually a full program's ramp steps go out with slow device responses.
- :mod:`.recorder`: state writes per minute through Home Assistant (the recorder economy test).
- :mod:`.decode`: the cost of decoding one Treadmill Data notification.
"""
