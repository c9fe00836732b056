"""`python -m metarrd …`: the same command line as the `metarrd` script (docs/interface.md §2),
for a checkout or a virtualenv whose bin/ is not on PATH."""

from metarrd.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
