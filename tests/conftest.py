"""Shared fixtures for the RetroWalk tests."""
