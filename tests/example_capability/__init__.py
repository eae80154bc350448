"""A tiny capability built only on the seams, as a new app would be (docs/architecture.md, "Adding a
capability"): a satisfaction survey that goes on the case timeline, shows a panel on the case page, and hears of
the tick. It touches no file of the cases app; tests/test_seams.py installs it and proves each seam works."""
