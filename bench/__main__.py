"""Run every benchmark in turn (`python -m bench`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main() -> int:
    failed = 0
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        print(f"\n=== bench.{info.name} ===", flush=True)
        module = importlib.import_module(f"bench.{info.name}")
        try:
            module.main([])
        except Exception as exc:  # one broken benchmark must not hide the others
            failed += 1
            print(f"bench.{info.name} failed: {exc!r}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
