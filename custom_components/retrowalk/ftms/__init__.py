"""Bluetooth Fitness Machine Service (FTMS) for treadmills: decode, encode, client, quirks.

This package has no Home Assistant imports; it could be published on its own.
"""
