"""Lighthouse audit of the web UI: accessibility and best practices of the library, item and
identify pages, against the 0.95 the issue asks for.

    python -m bench.lighthouse [--form-factor mobile|desktop|both] [--keep]

Starts `metarrd demo` (simulated providers, a dozen movies enriched by its daemon) on a free
loopback port in a temporary folder, waits until the movies are enriched, and runs the pinned
Lighthouse (`.ci/install-lighthouse.sh` puts it in bench/.lighthouse/) against Debian's chromium
for each page: every audit in one Lighthouse process on one browser (bench/lighthouse-run.mjs).
Prints one line per page and category: the score and its ratio to 0.95 (1.00 or
more passes), and any failing audit by name.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "bench" / ".lighthouse" / "node_modules" / ".bin" / "lighthouse"
RUNNER = ROOT / "bench" / "lighthouse-run.mjs"  # every audit of a run: one Lighthouse, one Chromium
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
TARGET = 0.95
CATEGORIES = ("accessibility", "best-practices")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


@dataclass(frozen=True)
class Score:
    page: str
    form_factor: str
    category: str
    score: float
    failing: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.score / TARGET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(base: Path) -> tuple[subprocess.Popen, str]:
    """`metarrd demo` in `base`/demo (a folder of its own: the demo takes only a new or empty
    one, and its log is kept beside it); returns the process and its URL once the movies are
    enriched."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(base / "demo.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "metarrd.cli",
            "demo",
            "--dir",
            str(base / "demo"),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    db_path = base / "demo" / "data" / "metarrd.db"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"metarrd demo exited: see {base / 'demo.log'}")
        if db_path.exists():
            try:
                with sqlite3.connect(db_path, timeout=5) as con:
                    (enriched,) = con.execute(
                        "SELECT COUNT(*) FROM movies WHERE identification_status = 'enriched'"
                    ).fetchone()
                if enriched >= 10:
                    return proc, f"http://127.0.0.1:{port}"
            except sqlite3.Error:
                pass
        time.sleep(1)
    proc.terminate()
    raise RuntimeError("the demo did not enrich its movies within 3 minutes")


def pages(base: Path, url: str) -> dict[str, str]:
    with sqlite3.connect(base / "demo" / "data" / "metarrd.db") as con:
        (item,) = con.execute("SELECT id FROM movies WHERE title = 'The Matrix'").fetchone()
        (thing,) = con.execute(
            "SELECT id FROM movies WHERE identification_status = 'unidentified' LIMIT 1"
        ).fetchone()
    return {
        "library": f"{url}/",
        "item": f"{url}/movies/{item}",
        "identify": f"{url}/movies/{thing}/identify",
    }


def audit_all(audits: list[tuple[str, str, Path]]) -> list[dict]:
    """The Lighthouse report of each (url, form factor, report path), all from one Lighthouse
    process on one Chromium (bench/lighthouse-run.mjs; the settings of the CLI's
    `--only-categories`, `--chrome-flags` and `--preset=desktop`)."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError(f"no Lighthouse at {LIGHTHOUSE}: run .ci/install-lighthouse.sh")
    jobs = {
        "chromePath": CHROME,
        "chromeFlags": CHROME_FLAGS,
        "categories": list(CATEGORIES),
        "audits": [{"url": u, "formFactor": f, "out": str(out)} for u, f, out in audits],
    }
    subprocess.run(
        ["node", str(RUNNER), str(LIGHTHOUSE.parents[1]), json.dumps(jobs)],
        check=True,
        capture_output=True,
        timeout=300 * len(audits),
    )
    return [json.loads(out.read_text()) for _, _, out in audits]


def scores_of(report: dict, page: str, form_factor: str) -> list[Score]:
    out = []
    for name in CATEGORIES:
        category = report["categories"][name]
        failing = tuple(
            ref["id"]
            for ref in category["auditRefs"]
            if ref.get("weight", 0) > 0
            and (report["audits"][ref["id"]].get("score") is not None)
            and report["audits"][ref["id"]]["score"] < 1
        )
        out.append(Score(page, form_factor, name, float(category["score"] or 0), failing))
    return out


def run(form_factors: tuple[str, ...] = ("mobile", "desktop"), keep: bool = False) -> list[Score]:
    base = Path(tempfile.mkdtemp(prefix="metarrd-lighthouse-"))
    proc = None
    try:
        proc, url = start_demo(base)
        runs = [
            (page, page_url, form_factor)
            for page, page_url in pages(base, url).items()
            for form_factor in form_factors
        ]
        reports = audit_all([(u, f, base / f"{page}-{f}.json") for page, u, f in runs])
        results: list[Score] = []
        for (page, _, form_factor), report in zip(runs, reports, strict=True):
            results.extend(scores_of(report, page, form_factor))
        return results
    finally:
        if proc is not None:
            proc.send_signal(2)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if keep:
            print(f"reports kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lighthouse")
    ap.add_argument("--form-factor", choices=("mobile", "desktop", "both"), default="both")
    ap.add_argument("--keep", action="store_true", help="keep the demo folder and the reports")
    args = ap.parse_args(argv)
    factors = ("mobile", "desktop") if args.form_factor == "both" else (args.form_factor,)
    results = run(factors, keep=args.keep)
    for s in results:
        note = f"  failing: {', '.join(s.failing)}" if s.failing else ""
        print(
            f"{s.page:<9} {s.form_factor:<8} {s.category:<15} {s.score:5.2f}"
            f"  ratio to {TARGET:.2f}: {s.ratio:5.2f}{note}",
            flush=True,
        )
    return 0 if all(s.score >= TARGET for s in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
