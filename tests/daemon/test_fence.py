"""The fence of a job's writes (metarrd/db.py `fenced_by`, metarrd/pipeline/leases.py `fence`,
docs/scale-out.md): every write transaction made for a job first checks, once, that the job's
claim still holds; pools carry the check along; nothing is checked outside jobs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from metarrd import db
from metarrd.errors import LeaseLost
from metarrd.pipeline import jobs, leases


def test_each_write_transaction_of_a_job_checks_its_claim_once(queued_rt):
    checks: list[str] = []

    def check() -> None:
        checks.append(threading.current_thread().name)

    def write() -> None:
        with db.write_transaction():
            db.set_meta("fence.test", "written")

    write()  # outside a job (the CLI, the web UI): no check
    assert checks == []
    with db.fenced_by(check):
        with db.write_transaction():
            write()  # nested: checked with the outer one, not again
        assert len(checks) == 1
        with ThreadPoolExecutor(1, thread_name_prefix="pool") as pool:
            pool.submit(db.carry_fence(write)).result()  # a pool's work for the job: checked
            assert checks[-1].startswith("pool")
            pool.submit(write).result()  # not carried: the pool thread knows of no job
        assert len(checks) == 2
    write()
    assert len(checks) == 2


def test_a_lost_claim_rolls_the_write_back(queued_rt):
    def lost() -> None:
        raise LeaseLost("taken over")

    with db.fenced_by(lost), pytest.raises(LeaseLost), db.write_transaction():
        db.set_meta("fence.test", "stale")
    assert db.get_meta("fence.test") is None
    assert db.database.transaction_depth() == 0  # not left open on the thread
    with db.write_transaction():  # the thread writes again (outside the job)
        db.set_meta("fence.test", "written")
    assert db.get_meta("fence.test") == "written"


def test_a_jobs_fence_is_one_select_by_its_id(queued_rt, monkeypatch):
    job = jobs.enqueue_scan(None)
    assert jobs._claim(job) == "claimed"
    job = db.Job.get_by_id(job.id)
    executed: list[str] = []
    real = db.database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        executed.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.database.obj, "execute_sql", counting)
    with db.fenced_by(leases.fence(job)), db.write_transaction():
        db.set_meta("fence.test", "written")
    on_jobs = [sql for sql in executed if '"jobs"' in sql]
    assert len(on_jobs) == 1 and on_jobs[0].startswith("SELECT")

    db.Job.update(lease_owner="other-host:4242:abcdef").where(db.Job.id == job.id).execute()
    with db.fenced_by(leases.fence(job)), pytest.raises(LeaseLost), db.write_transaction():
        db.set_meta("fence.test", "stale")
    assert db.get_meta("fence.test") == "written"
    leases.release(job.id)
