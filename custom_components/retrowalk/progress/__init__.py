"""Session history, weekly figures and progression for retro walking.

Pure Python: no Home Assistant imports, time and time zone are always passed in. The Home
Assistant layer persists :meth:`SessionTracker.snapshot` in its Store and shows the figures of
:mod:`.weekly` and :mod:`.progression` as sensors.
"""
