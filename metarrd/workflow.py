"""Workflow stage switches (docs/daemon.md: webhooks, scanning, identification, enrichment,
auto_publish, publishing). Defaults come from `[workflow]`; a switch flipped at runtime (CLI or UI)
is stored in the database and read fresh each time, so no restart is needed."""

from __future__ import annotations

import dataclasses

from metarrd import db
from metarrd.config import Config, WorkflowConfig
from metarrd.errors import StageDisabled

STAGES = tuple(f.name for f in dataclasses.fields(WorkflowConfig))

EXPLANATIONS = {
    "webhooks": "Radarr/Sonarr webhooks start scans",
    "scanning": "new and changed files are scanned",
    "identification": "scanned movies and shows are matched to TMDB",
    "enrichment": "identified movies and shows get metadata and artwork automatically",
    "auto_publish": "enriched movies and shows are published without waiting for your review",
    "publishing": "publishing writes into the library at all (off refuses every publish)",
}


def is_enabled(config: Config, stage: str) -> bool:
    if stage not in STAGES:
        raise KeyError(stage)
    row = db.WorkflowStage.get_or_none(db.WorkflowStage.name == stage)
    return row.enabled if row is not None else getattr(config.workflow, stage)


def set_stage(stage: str, enabled: bool) -> None:
    if stage not in STAGES:
        raise KeyError(stage)
    db.WorkflowStage.insert(name=stage, enabled=enabled).on_conflict(
        conflict_target=[db.WorkflowStage.name], update={db.WorkflowStage.enabled: enabled}
    ).execute()
    db.record_event(
        "settings.changed", f"{stage} switched {'on' if enabled else 'off'}", stage=stage
    )


def all_stages(config: Config) -> dict[str, bool]:
    stored = {row.name: row.enabled for row in db.WorkflowStage.select()}
    return {s: stored.get(s, getattr(config.workflow, s)) for s in STAGES}


def require(config: Config, stage: str) -> None:
    if not is_enabled(config, stage):
        raise StageDisabled(
            f"the {stage} stage is switched off "
            f"(turn it on with `metarrd workflow set {stage} on` or in Settings)"
        )
