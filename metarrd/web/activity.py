"""The activity page: queued and running jobs with their progress, failures with the reason and
a retry button, and the recent events."""

from __future__ import annotations

import time

import peewee as pw
from flask import Blueprint, flash, redirect, render_template, request, url_for
from htmx_flask import make_response

from metarrd import db
from metarrd.web import progress, queries, tv
from metarrd.web.actions import ActionRefused, retry_job
from metarrd.web.fragments import toast

bp = Blueprint("activity", __name__)

EVENTS_SHOWN = 100
FAILURES_SHOWN = 50
ACTIVE_SHOWN = 200


def item_columns() -> tuple:
    """What names an item on the page: a season and an episode file by their show too."""
    M = db.Movie
    return (M.id, M.title, M.year, M.path, M.kind, M.show, M.season, M.episodes,
            M.episode_refs, M.episode_details)  # fmt: skip


def activity_context() -> dict:
    J, M = db.Job, db.Movie
    with_movie = J.select(J, *item_columns()).join(M, pw.JOIN.LEFT_OUTER, on=(J.movie == M.id))
    running_first = pw.Case(None, [(J.state == "running", 0)], 1)
    # a job with a due time (a retry, often hours off) after those without, before the limit:
    # 200 retries due later filled the list, and the work due now was not on it
    retries_last = pw.Case(None, [(progress.has_due(), 1)], 0)
    active = list(
        with_movie.where(J.state.in_(queries.ACTIVE_JOB_STATES))
        .order_by(running_first, retries_last, J.id)
        .limit(ACTIVE_SHOWN)
    )
    failed = list(
        with_movie.where(J.state == "failed").order_by(J.id.desc()).limit(FAILURES_SHOWN * 2)
    )
    # A failure is settled when the same work (same key) was queued again afterwards.
    latest = dict(
        J.select(J.key, pw.fn.MAX(J.id))
        .where(J.key.in_([j.key for j in failed] or [""]))
        .group_by(J.key)
        .tuples()
    )
    failures = [j for j in failed if latest.get(j.key) == j.id][:FAILURES_SHOWN]
    counts = progress.job_counts()  # with "later" apart, from the same read as "queued"
    # the failures not settled, as listed: "1 failed" stood above "No failures. Good." for a
    # wrong id pasted, then the right one
    since = J.alias()
    settled = since.select(since.id).where(since.key == J.key, since.id > J.id)
    counts["failed"] = J.select().where(J.state == "failed", ~pw.fn.EXISTS(settled)).count()
    E = db.Event
    events = once(
        E.select(E, *item_columns())
        .join(M, pw.JOIN.LEFT_OUTER, on=(E.movie == M.id))
        .order_by(E.id.desc())
        .limit(EVENTS_SHOWN)
    )
    # a retry due later (an episode TMDB lists no episode of yet: in an hour) is no work waiting
    # now, as the navigation counts it (progress.summary): "Later", and when
    now = time.time()
    due_later = {
        j.id: due for j in active if j.state == "queued" and (due := progress.due(j.payload)) > now
    }
    # read as a queue: what runs, then what is due now (in the order it was queued), then what
    # is due later, soonest first; by job id alone a waiting job stood above the running one
    active.sort(key=lambda j: (j.state != "running", due_later.get(j.id, 0)))
    enriching = [j.movie_id for j in active if j.kind == "enrich" and j.state == "running"]
    listed = [x.movie for x in (*active, *failures, *events) if x.movie_id]
    return {
        "show_titles": tv.show_titles(listed),
        "active": active,
        "failures": failures,
        "counts": {**counts, "queued": counts.get("queued", 0)},
        "due_later": {i: _in(due - now) for i, due in due_later.items()},
        "events": events,
        "batches": progress.batches(),
        "analysed": progress.enrich_progress(enriching),
        "retry_helps": progress.retry_helps,
    }


def _in(seconds: float) -> str:
    """'in 52 min', 'in 6 h', 'in 2 d': when a retry due later runs."""
    seconds = max(int(seconds), 0)
    for span, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= 2 * span or (unit == "min" and seconds >= span):
            return f"in {seconds // span} {unit}"
    return f"in {seconds} s"


def once(events) -> list:
    """Events with a repeat of the same item's same message (a failure the stage and the job
    both recorded) left out: an error is said once."""
    out, seen = [], set()
    for event in events:
        key = (event.movie_id, event.level, event.message)
        if event.level == "error" and key in seen:
            continue
        seen.add(key)
        out.append(event)
    return out


@bp.get("/jobs/indicator")
def indicator():
    """The navigation's job indicator (it follows the live stream)."""
    return render_template("_jobs_indicator.html", jobs_now=progress.summary())


@bp.get("/activity")
def index():
    context = activity_context()
    if request.htmx and not request.htmx.boosted:
        return render_template("_activity.html", **context)
    return render_template("activity.html", live_cursor=queries.live_cursor(), **context)


@bp.post("/jobs/<int:job_id>/retry")
def retry(job_id: int):
    try:
        job = retry_job(job_id)
        message, tone = f"Queued again as job {job.id}", "success"
    except ActionRefused as exc:
        message, tone = str(exc), "danger"
    if not request.htmx:
        flash(message, tone)
        return redirect(url_for("activity.index"), code=303)
    return make_response(
        render_template("_activity.html", **activity_context()) + toast(message, tone)
    )
