"""The RetroWalk integration: Bluetooth FTMS treadmills and retro-walking programs."""
