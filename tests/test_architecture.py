"""Dependency direction, as drawn in docs/ARCHITECTURE.md: checked by reading every import."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "metarrd"

# The functional core: pure functions over small dataclasses, no I/O libraries, no database.
PURE = {
    "metarrd.identify.names",
    "metarrd.identify.match",
    "metarrd.enrich.score",
    "metarrd.enrich.selection",
    "metarrd.enrich.candidates",
    "metarrd.enrich.metadata",
    "metarrd.publish.nfo",
    "metarrd.publish.layout",
    "metarrd.errors",
    "metarrd.scan.kodi_codecs",
    "metarrd.players.pathmap",
    "metarrd.players.plan",
    "metarrd.pipeline.chain",
    "metarrd.web.pictures",
}
IO_MODULES = ("requests", "peewee", "flask", "huey", "watchfiles", "metarrd.db", "metarrd.http")

RULES = [
    # (importer prefix, forbidden import prefixes, why)
    (
        "metarrd.web",
        (
            "metarrd.providers",
            "metarrd.http",
            "metarrd.enrich",
            "metarrd.enrich.analysis",
            "metarrd.enrich.candidate_store",
            "metarrd.enrich.caching",
            "requests",
        ),
        "the web app only reads the database and enqueues jobs",
    ),
    (
        "metarrd.providers",
        ("metarrd.db", "metarrd.web", "flask", "peewee"),
        "provider clients are thin HTTP adapters",
    ),
    (
        "metarrd.simulator",
        ("metarrd.db", "metarrd.web", "metarrd.providers", "metarrd.enrich", "metarrd.publish"),
        "the simulator stands alone, like the real services",
    ),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    pkg = module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
    return found


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in PKG.rglob("*.py")}


def _hits(imports: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(i for i in imports if any(i == f or i.startswith(f + ".") for f in forbidden))


def test_pure_core_does_no_io():
    mods = all_modules()
    problems = {m: _hits(imps, IO_MODULES) for m, imps in mods.items() if m in PURE}
    assert not {m: h for m, h in problems.items() if h}, problems


def test_layer_rules():
    mods = all_modules()
    problems = []
    for importer, forbidden, why in RULES:
        for mod, imps in mods.items():
            if mod == importer or mod.startswith(importer + "."):
                for hit in _hits(imps, forbidden):
                    problems.append(f"{mod} imports {hit}: {why}")
    assert not problems, "\n".join(problems)


def test_the_checks_see_relative_and_from_imports(tmp_path):
    probe = PKG / "web" / "_arch_probe_test.py"
    probe.write_text("from ..providers import tmdb\nfrom metarrd.http import HttpClient\n")
    try:
        found = imports_of(probe)
    finally:
        probe.unlink()
    assert _hits(found, ("metarrd.providers", "metarrd.http")) == [
        "metarrd.http",
        "metarrd.http.HttpClient",
        "metarrd.providers",
        "metarrd.providers.tmdb",
    ]
