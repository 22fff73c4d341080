"""Tests of the pure session history, weekly figures and progression package."""
