"""Benchmarks: `make bench` (or `python -m bench`) runs every area; `python -m bench.<area>` one.

Each figure is printed as a ratio against its floor: the time the unavoidable work alone takes
(e.g. enrich time ÷ the same downloads alone), so a number means the same on any machine.
"""
