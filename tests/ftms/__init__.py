"""Tests of the FTMS package: codec, quirks and the client against the simulator."""
