"""Fault injection for proving that suites catch real defects (mutation-style checks)."""
