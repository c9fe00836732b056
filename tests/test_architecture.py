"""Dependency direction, as drawn in docs/ARCHITECTURE.md: checked by reading every import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "metarrd"

# The functional core: pure functions over small dataclasses, no I/O libraries, no database.
PURE = {
    "metarrd.errors",
    "metarrd.paths",
    "metarrd.identify.names",
    "metarrd.identify.episodes",
    "metarrd.identify.match",
    "metarrd.enrich.score",
    "metarrd.enrich.selection",
    "metarrd.enrich.candidates",
    "metarrd.enrich.metadata",
    "metarrd.scan.kodi_codecs",
    "metarrd.publish.nfo",
    "metarrd.publish.layout",
    "metarrd.pathmap",
    "metarrd.players.plan",
    "metarrd.pipeline.chain",
    "metarrd.text",
    "metarrd.fields",
}
IO_MODULES = ("requests", "peewee", "flask", "huey", "watchfiles", "metarrd.db", "metarrd.http")

# One folder per stage; each package's __init__ names its public entry points.
STAGES = ("scan", "identify", "enrich", "publish", "players")
OUTER = ("metarrd.pipeline", "metarrd.web", "metarrd.cli", "metarrd.demo")

# The kit: every module at the top of the package but the interfaces (the CLI and demo start
# processes) and `runtime`, which builds the provider clients for the stages.
INTERFACES = {"metarrd", "metarrd.__main__", "metarrd.cli", "metarrd.demo"}
RUNTIME = "metarrd.runtime"
ABOVE_THE_KIT = (*(f"metarrd.{s}" for s in STAGES), *OUTER, "metarrd.simulator")

RULES = [
    # (importer prefix, forbidden import prefixes, why)
    (
        "metarrd.web",
        ("metarrd.providers", "metarrd.http", "requests"),
        "the web app reads the database and enqueues jobs; it never calls a provider",
    ),
    (
        "metarrd.providers",
        ("metarrd.db", "metarrd.web", "flask", "peewee", *(f"metarrd.{s}" for s in STAGES)),
        "provider clients are thin HTTP adapters",
    ),
    (
        "metarrd.simulator",
        ("metarrd.db", "metarrd.web", "metarrd.providers", *(f"metarrd.{s}" for s in STAGES)),
        "the simulator stands alone, like the real services",
    ),
    *(
        (f"metarrd.{stage}", OUTER, "a stage knows nothing of the queue, the web or the CLI")
        for stage in STAGES
    ),
    (
        "metarrd.pipeline",
        (
            "metarrd.web",
            "metarrd.cli",
            "metarrd.demo",
            "metarrd.simulator",
            "metarrd.providers",
            "flask",
        ),
        "the pipeline chains the stages on the queue: the web enqueues into it, never the other "
        "way round, and the provider clients are the stages' (built by runtime)",
    ),
]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    return imports_of_tree(ast.parse(path.read_text(), str(path)), path)


def imports_of_tree(tree: ast.AST, path: Path) -> set[str]:
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


def _package(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def _kit(mods) -> list[str]:
    return [
        m
        for m in mods
        if m.count(".") == 1 and m not in INTERFACES and not (PKG / m.split(".")[1]).is_dir()
    ]


def test_the_kit_imports_nothing_above_it():
    """The kit serves every stage, the pipeline and the web: it takes nothing from them (what it
    needs of theirs lives in the kit, or is handed in), nor from the provider clients, which
    only `runtime` builds."""
    mods = all_modules()
    kit = _kit(mods)
    assert {"metarrd.db", "metarrd.cache", "metarrd.config_check", RUNTIME} <= set(kit)
    problems = [
        f"{mod} imports {hit}: the kit imports nothing above it"
        for mod in kit
        for hit in _hits(
            mods[mod],
            ABOVE_THE_KIT if mod == RUNTIME else (*ABOVE_THE_KIT, "metarrd.providers"),
        )
    ]
    assert not problems, "\n".join(problems)


def _stages_under() -> dict[str, tuple[str, ...]]:
    """The stages' layers, as the "may import" column of docs/ARCHITECTURE.md's stage row names
    them (`scan/` identify; `players/` none): each imports the stages under it and no
    other, at the top of a module or inside a function alike, so they import each other in no
    circle; what a stage needs of one above it moves down, into that one or the kit."""
    doc = (PKG.parent / "docs" / "ARCHITECTURE.md").read_text()
    row = next(line for line in doc.splitlines() if line.startswith("| a **stage**"))
    found = re.findall(r"`([a-z]+)/` (none|[a-z]+(?:, [a-z]+)*)", row.split("|")[2])
    return {stage: tuple(u for u in under.split(", ") if u != "none") for stage, under in found}


STAGES_UNDER = _stages_under()
# (module, stage) against the layers, left to cut: none now. An arrow a change cannot avoid for
# a while is named here, and test_what_is_left_to_cut_is_still_there asks it out once cut.
LEFT_TO_CUT: set[tuple[str, str]] = set()

# The "may import" column: what of metarrd each package takes beyond its own modules ("kit"
# stands for every kit module and runtime). Which names of a stage it takes is
# test_stages_use_each_others_public_entry_points_only's; what it never takes is RULES'.
MAY_IMPORT = {
    "metarrd.web": ("kit", "metarrd.pipeline.jobs", *(f"metarrd.{s}" for s in STAGES)),
    "metarrd.pipeline": ("kit", *(f"metarrd.{s}" for s in STAGES)),
    **{
        f"metarrd.{stage}": ("kit", "metarrd.providers", *(f"metarrd.{s}" for s in under))
        for stage, under in STAGES_UNDER.items()
    },
    "metarrd.providers": ("metarrd.http", "metarrd.config", "metarrd.errors"),
    "metarrd.simulator": (),
}


def _allowed(imp: str, allowed: tuple[str, ...]) -> bool:
    """`imp` is one of `allowed`, inside one, or a package holding one (`from metarrd.pipeline
    import jobs` names `metarrd.pipeline` too: its `__init__` runs for any of its modules)."""
    return any(imp == a or imp.startswith(a + ".") or a.startswith(imp + ".") for a in allowed)


def test_each_package_imports_only_what_its_row_allows():
    """docs/ARCHITECTURE.md's "may import" column, read as a list: the web takes `pipeline.jobs`
    (to enqueue) and nothing else of the pipeline; what the watcher or the daemon know that the
    web needs too (a library's root, the daemon's heartbeat) is the kit's."""
    mods = all_modules()
    kit = tuple(_kit(mods))
    problems = []
    for package, may in MAY_IMPORT.items():
        allowed = tuple(a for m in may for a in (kit if m == "kit" else (m,)))
        for mod, imps in mods.items():
            if mod != package and not mod.startswith(package + "."):
                continue
            for imp in sorted(imps):
                left = tuple(s for m, s in LEFT_TO_CUT if m == mod)  # one left to cut
                if imp.startswith("metarrd.") and not _allowed(imp, (package, *allowed, *left)):
                    problems.append(f"{mod} imports {imp}: not in {package}'s row")
    assert not problems, "\n".join(problems)


def _stage_imports(path: Path) -> list[tuple[str, int, bool]]:
    """The other stages `path` imports: (stage, line, not at the module's top: inside a function,
    a class or a block)."""
    tree = ast.parse(path.read_text(), str(path))
    own, top = _package(module_name(path)), {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for imp in imports_of_tree(node, path):
                stage = _package(imp)
                if stage is not None and stage != own:
                    found.append((f"metarrd.{stage}", node.lineno, id(node) not in top))
    return sorted(set(found))


def test_the_doc_places_every_stage():
    assert set(STAGES_UNDER) == set(STAGES), STAGES_UNDER
    assert all(set(under) < set(STAGES) for under in STAGES_UNDER.values()), STAGES_UNDER


def test_what_is_left_to_cut_is_still_there():
    """Once cut, an arrow leaves LEFT_TO_CUT too: it may not come back unseen."""
    found = {(module_name(p), stage) for p in PKG.rglob("*.py") for stage, *_ in _stage_imports(p)}
    assert found >= LEFT_TO_CUT, LEFT_TO_CUT - found


def test_stages_import_only_the_stages_under_them():
    """An import written inside a function is an arrow too: `from metarrd.scan import
    season_item` in identify's `_season_items` ("scan imports identify") hid a circle of 19
    files between the stages, which a stage importing only the stages under it cannot close."""
    problems = []
    for path in sorted(PKG.rglob("*.py")):
        mod = module_name(path)
        own = _package(mod)
        if own is None:
            continue
        for stage, line, inside in _stage_imports(path):
            if stage.split(".")[1] in STAGES_UNDER[own] or (mod, stage) in LEFT_TO_CUT:
                continue
            where = "inside a function or a block, " if inside else ""
            problems.append(f"{mod}:{line} imports {stage}, {where}which is not under {own}")
    assert not problems, "\n".join(problems)


def test_the_stages_import_each_other_in_no_circle():
    """Whatever the layers say: no stage reaches itself through the others' imports, those made
    inside a function included."""
    arrows: dict[str, set[str]] = {s: set() for s in STAGES}
    for path in PKG.rglob("*.py"):
        mod = module_name(path)
        if (own := _package(mod)) is not None:
            for stage, _line, _inside in _stage_imports(path):
                if (mod, stage) not in LEFT_TO_CUT:
                    arrows[own].add(stage.split(".")[1])

    def circle(start: str) -> list[str] | None:
        paths = [[start]]
        while paths:
            route = paths.pop()
            for nxt in sorted(arrows[route[-1]]):
                if nxt == start:
                    return [*route, nxt]
                if nxt not in route:
                    paths.append([*route, nxt])
        return None

    circles = [" -> ".join(c) for s in STAGES if (c := circle(s)) is not None]
    assert not circles, circles


def test_stages_use_each_others_public_entry_points_only():
    """`from metarrd.publish import publish_item` (what publish/__init__ names), never
    `from metarrd.publish.stage import _prepare`: a stage's other modules are its own."""
    problems = []
    for mod, imps in all_modules().items():
        for imp in imps:
            parts = imp.split(".")
            if len(parts) < 3 or parts[0] != "metarrd" or parts[1] not in STAGES:
                continue
            target = parts[1]
            if _package(mod) == target:
                continue  # inside its own stage
            if (Path(PKG, target, parts[2] + ".py")).exists() or Path(
                PKG, target, parts[2]
            ).is_dir():
                problems.append(f"{mod} imports {imp}: use metarrd.{target}'s public names")
    assert not problems, "\n".join(problems)


def test_only_the_pipeline_touches_the_queue():
    problems = [
        f"{mod} imports the queue"
        for mod, imps in all_modules().items()
        if not mod.startswith("metarrd.pipeline")
        and mod not in ("metarrd.cli", "metarrd.demo")  # they start the daemon's processes
        and _hits(imps, ("metarrd.pipeline.queue", "huey"))
    ]
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


def _hidden_imports(path: Path) -> list[str]:
    """The calls in `path` that import a module by name at run time (`importlib.import_module`,
    `__import__`): their arrows are not among those the checks above read."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append(f"{module_name(path)}:{node.lineno}")
    return found


def test_every_import_is_written_as_one():
    """An import made by `importlib.import_module` or `__import__` is no arrow the checks see:
    `runtime` loaded the fanart.tv and TheTVDB clients so, and a stage could have hidden the
    web or the queue as well."""
    problems = [hit for path in PKG.rglob("*.py") for hit in _hidden_imports(path)]
    assert not problems, problems
