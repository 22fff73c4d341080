"""Tests of the simulated treadmill (retrowalk_sim)."""
