"""Builders shared by the tests: tables, configs, waits, app and browser helpers.

Test modules import from here, never from each other; ``conftest.py`` files hold
fixtures only.
"""
