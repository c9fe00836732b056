"""Concurrent download + analysis: real facts, previews, clear rejections, no leftovers."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from PIL import Image

from metarrd import cache, db
from metarrd.enrich.analysis import ANALYSIS_THREADS, WORK_PREFIX, Analyser, sweep_stale
from metarrd.enrich.caching import _Placing
from metarrd.enrich.candidate_store import take_info
from metarrd.http import Download
from metarrd.scratch import STALE_SECONDS


def poster_url(sim, index=0):
    return sim.image_url(sim.catalog.get(603).images.posters[index])


def test_an_address_off_the_providers_image_hosts_is_never_asked(make_rt, simulator):
    """Every download is checked, a stored candidate's too (image_hosts.py): another port of
    the simulator's machine for fanart.tv (its images have their own), the metadata address."""
    rt = make_rt(fanart={"image_hosts": [simulator.image_host("fanart")]})
    secret = simulator.url + "/secret/x.jpg"
    with Analyser(rt.config, rt.http) as an:
        refused = an.fetch(secret, "fanart").result()
        metadata = an.fetch("http://169.254.169.254/latest/x.jpg", "tmdb").result()
    assert not refused.ok and not metadata.ok
    assert refused.reason.startswith(f"fanart gave an image address on 127.0.0.1:{simulator.port}")
    assert metadata.reason.startswith("tmdb gave an image address on 169.254.169.254, not one")
    assert not [h for h in simulator.requests if h.path.startswith("/secret")]


def test_download_analyse_and_preview(rt, simulator):
    asset = simulator.catalog.get(603).images.posters[0]
    with Analyser(rt.config, rt.http) as an:
        outcome = an.fetch(poster_url(simulator), "tmdb").result()
        assert outcome.ok and outcome.path.is_file()
        assert (outcome.info.width, outcome.info.height) == (asset.width, asset.height)
        assert outcome.info.format == "jpeg" and len(outcome.info.phash) == 16
        workdir = an.workdir
    assert not workdir.exists()  # temp files always go
    preview = rt.config.previews_dir / outcome.preview
    with Image.open(preview) as im:
        assert im.format == "WEBP" and max(im.size) <= 300


def test_one_download_per_url(rt, simulator):
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:
        first = an.fetch(poster_url(simulator), "tmdb")
        again = an.fetch(poster_url(simulator), "tmdb")
        assert first is again
        first.result()
    assert simulator.count("/t/p/") == 1


def test_bad_candidates_come_back_with_reasons(rt, simulator):
    urls = [poster_url(simulator, i) for i in range(6)]
    simulator.corrupt(urls[0], "html")
    simulator.corrupt(urls[1], "truncated")
    simulator.corrupt(urls[2], "garbage")
    simulator.bomb(urls[3])
    simulator.not_found(urls[4])
    simulator.fail_5xx(10, prefix=urls[5])
    with Analyser(rt.config, rt.http) as an:
        out = [an.fetch(u, "tmdb").result() for u in urls]
        leftovers = list(an.workdir.iterdir())
    assert "HTML page" in out[0].reason and out[0].retry  # the network's doing: asked again
    assert "truncated" in out[1].reason and not out[1].retry
    assert "not an image" in out[2].reason
    assert "decompression bomb" in out[3].reason and not out[3].retry
    assert "404" in out[4].reason and out[4].retry
    assert "server error" in out[5].reason and out[5].retry
    assert not any(o.ok for o in out)
    assert leftovers == []  # rejected downloads are removed at once


def test_a_providers_answer_that_is_json_is_said_as_the_providers(rt):
    """A download whose bytes are JSON (an image CDN's error body, served as image/jpeg: TMDB's
    `{"status_code":34,...}`) is the provider's answer, and said so; the same bytes uploaded
    are said as a file (tests/web/test_user_images.py)."""
    import http.server

    body = b'{"status_code":34,"status_message":"The resource you requested could not be found."}'

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/t/p/original/x.jpg"
        with Analyser(rt.config, rt.http) as an:
            out = an.fetch(url, "tmdb").result()
    finally:
        server.shutdown()
        server.server_close()
    assert out.reason == "the provider returned JSON, not an image"


def test_the_users_own_image_is_fetched_again_only_from_a_public_address(rt, simulator):
    """ENRICH fetches a selected image the cache lost again, the user's own one too (provider
    "user"): through the providers' client that was any address, through any proxy, though
    the name the user gave may lead to 127.0.0.1 by now. It is fetched by the rules it was
    added by (enrich/user_images.py), here refused before any connection."""
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:  # the simulator listens on 127.0.0.1
        whole = an.fetch(poster_url(simulator, 0), "user").result()
        small = poster_url(simulator, 2).replace("/original/", "/w342/")
        probed = an.probe(poster_url(simulator, 1), "user", small_url=small).result()
    for outcome in (whole, probed):
        assert not outcome.ok and "local or private address" in outcome.reason
    assert simulator.count("/t/p/") == 0


def test_a_hanging_server_times_out_with_a_reason(make_rt, simulator):
    rt = make_rt(providers={"timeout_seconds": 0.3, "max_retries": 0})
    url = poster_url(simulator)
    simulator.hang(url, seconds=5)
    with Analyser(rt.config, rt.http) as an:
        outcome = an.fetch(url, "tmdb").result()
    assert "timed out" in outcome.reason and outcome.retry
    # the session's simulator hangs up (and records the request) only at the hang's end: wait
    # for it here, or it lands in the requests a later test asserts on (60 s bound a hang)
    hung_up = (urlsplit(url).path, 0)
    deadline = time.monotonic() + 60
    while hung_up not in [(h.path, h.status) for h in simulator.requests]:
        assert time.monotonic() < deadline, simulator.requests
        time.sleep(0.05)


def test_leftovers_of_a_crashed_process_are_swept(rt):
    tmp = rt.config.tmp_dir
    here = db.this_host()
    dead = tmp / f"{WORK_PREFIX}999999999+{here}+dead"  # no such pid
    dead.mkdir()
    (dead / "00001.part").write_bytes(b"half a poster")
    ours_idle = tmp / f"{WORK_PREFIX}{os.getpid()}+{here}+idle"  # this pid, but not in use
    ours_idle.mkdir()
    alive = tmp / f"{WORK_PREFIX}{os.getppid()}+{here}+alive"  # another live process: not ours
    alive.mkdir()
    other = tmp / "someone-elses-file"
    other.write_bytes(b"")
    with Analyser(rt.config, rt.http) as an:
        assert an.workdir.name.startswith(f"{WORK_PREFIX}{os.getpid()}+{here}+")
    assert not dead.exists() and not ours_idle.exists()
    assert alive.exists() and other.exists()
    assert sweep_stale(tmp) == []


def test_another_hosts_work_folders_go_by_their_age_not_by_a_pid_of_this_one(rt):
    """A data_dir several hosts share (or worker containers on one machine, each in its own PID
    namespace: `db.this_host`): a pid in another host's folder name means nothing here. Its
    pid dead here, its enrich runs there all the same: kept while written in the last hour;
    a folder named by no host (an older version's `enrich-<pid>-…`) whose pid is alive here is
    no live process's for that: gone after an hour, like those of scratch.py."""
    tmp = rt.config.tmp_dir
    tmp.mkdir(parents=True, exist_ok=True)
    namespace = f"{socket.gethostname()}~4026532281"  # this machine, another container's
    running = [
        tmp / f"{WORK_PREFIX}999999999+nas-worker-2+0a1b2c3d",
        tmp / f"{WORK_PREFIX}999999999+{namespace}+4e5f6a7b",
    ]
    left = [
        tmp / f"{WORK_PREFIX}{os.getpid()}+nas-worker-2+8c9d0e1f",
        tmp / f"{WORK_PREFIX}{os.getppid()}-2a3b4c5d",
    ]
    old = time.time() - STALE_SECONDS - 60
    for path in running + left:
        path.mkdir()
        (path / "00001.part").write_bytes(b"half a poster")
    for path in left:
        os.utime(path, (old, old))

    assert sorted(sweep_stale(tmp)) == sorted(left)
    assert all(path.is_dir() for path in running)


class SlowHttp:
    """Counts downloads in flight, in all and per host, and the order they start in. Each
    download lasts until `go` is set: while the test queues its downloads none ends (a sleep
    of a few ms ended some on a loaded machine, whose slots then went to the next of the
    first host, or were never held at once)."""

    def __init__(self, per_host: int = 6):
        self.per_host = per_host
        self.in_flight = 0
        self.most = 0
        self.hosts: dict[str, int] = {}
        self.most_per_host = 0
        self.started: list[str] = []
        self.lock = threading.Lock()
        self.go = threading.Event()

    def release_when_in_flight(self, n: int) -> None:
        """Once `n` downloads are in flight (60 s bound a hang), let them all end."""
        deadline = time.monotonic() + 60
        while self.in_flight < n and time.monotonic() < deadline:
            time.sleep(0.01)
        self.go.set()

    def download(self, url, out, *, provider, max_bytes, **options):
        host = url.split("/")[2]
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            self.hosts[host] = self.hosts.get(host, 0) + 1
            self.most_per_host = max(self.most_per_host, self.hosts[host])
            self.started.append(host)
        assert self.go.wait(60)
        with self.lock:
            self.in_flight -= 1
            self.hosts[host] -= 1
        out.write(b"<html>")
        return Download(url, 200, "text/html", 6)

    def mark_gone(self, url, why):
        pass

    def netloc_wait(self, netloc):
        return 0.0

    @contextlib.contextmanager
    def ranked(self, rank):
        yield


# the made-up addresses below stand for TMDB's and fanart.tv's image hosts (image_hosts.py)
FAKE_HOSTS = {
    "tmdb": {"image_hosts": ["http://127.0.0.1:9"]},
    "fanart": {"image_hosts": ["http://127.0.0.2:9"]},
}


def test_concurrency_is_bounded(config_factory):
    config = config_factory(enrich={"concurrency": 3}, providers=FAKE_HOSTS)
    Path(config.data_dir).mkdir(parents=True)
    http = SlowHttp()
    with Analyser(config, http) as an:
        futures = [an.fetch(f"http://127.0.0.1:9/{i}.jpg", "tmdb") for i in range(12)]
        http.release_when_in_flight(3)
        assert all(not f.result().ok for f in futures)
    assert http.most == 3


def test_downloads_start_host_by_host_never_over_a_hosts_cap(config_factory):
    """Asked for 8 images of one host and then 4 of another, the second host's start as soon
    as a thread is free (in one FIFO queue they waited behind all of the first's while that
    host was at its cap), and no host ever has more than its cap of ours."""
    config = config_factory(enrich={"concurrency": 4}, providers=FAKE_HOSTS)
    Path(config.data_dir).mkdir(parents=True)
    http = SlowHttp(per_host=2)
    with Analyser(config, http) as an:
        futures = [an.fetch(f"http://127.0.0.1:9/{i}.jpg", "tmdb") for i in range(8)]
        futures += [an.fetch(f"http://127.0.0.2:9/{i}.jpg", "fanart") for i in range(4)]
        http.release_when_in_flight(4)
        assert all(not f.result().ok for f in futures)
    assert http.most == 4 and http.most_per_host == 2
    assert http.started[:4].count("127.0.0.2:9") == 2, http.started
    assert sorted(http.started) == ["127.0.0.1:9"] * 8 + ["127.0.0.2:9"] * 4


def test_the_next_analyser_runs_on_the_threads_of_the_last(config_factory):
    """Pools are lent, not made per item: starting a thread waits for it to run, which on a
    busy machine held each item's downloads up for milliseconds at a time."""
    config = config_factory(enrich={"concurrency": 3})
    Path(config.data_dir).mkdir(parents=True)

    def threads_used(an: Analyser) -> set[threading.Thread]:
        used = set()
        for cpu, size in ((False, 3), (True, ANALYSIS_THREADS)):  # each pool's every thread
            gate = threading.Barrier(size)

            def meet(gate=gate) -> threading.Thread:
                gate.wait(5)
                return threading.current_thread()

            used |= {f.result() for f in [an.submit(meet, cpu=cpu) for _ in range(size)]}
        return used

    with Analyser(config, SlowHttp()) as first:
        before = threads_used(first)
    with Analyser(config, SlowHttp()) as second:
        assert threads_used(second) == before


def test_closing_waits_for_the_work_under_way_and_drops_what_has_not_started(config_factory):
    config = config_factory(enrich={"concurrency": 1})
    Path(config.data_dir).mkdir(parents=True)
    started, release, done = threading.Event(), threading.Event(), []
    an = Analyser(config, SlowHttp()).__enter__()

    def slow() -> None:
        started.set()
        release.wait(5)
        done.append("slow")

    running = an.submit(slow)
    queued = an.submit(done.append, "queued")  # one thread: waits behind `slow`
    assert started.wait(5)
    closer = threading.Thread(target=an.close)
    closer.start()
    time.sleep(0.1)
    assert closer.is_alive() and not running.done()  # close waits for what runs
    release.set()
    closer.join(5)
    assert not closer.is_alive() and done == ["slow"] and queued.cancelled()
    with pytest.raises(RuntimeError, match="not open"):
        an.submit(done.append, "late")


def test_analysers_of_items_enriched_at_once_never_sweep_each_other(rt, simulator):
    with Analyser(rt.config, rt.http) as first:
        for _ in range(5):  # each opening sweeps the tmp folder
            with Analyser(rt.config, rt.http):
                assert first.workdir.is_dir()
        assert first.fetch(poster_url(simulator), "tmdb").result().ok


def test_a_probe_reads_the_rendition_and_the_header_only(rt, simulator):
    art = simulator.catalog.get(603).images
    fanart = art.fanart["movieposter"][0]  # fanart.tv states no size: its header is read
    url = simulator.image_url(fanart)
    small = url.replace("/fanart/", "/preview/")
    rendition = requests.get(small, timeout=10).content  # fanart.tv's 200 px preview
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:
        files = watch_temp_files(an)
        outcome = an.probe(url, "fanart", small_url=small).result()
    assert outcome.ok and not outcome.whole and outcome.path is None
    assert files == []  # rendition and header stay in memory: no temp file written and removed
    assert (outcome.info.width, outcome.info.height) == (fanart.width, fanart.height)
    assert outcome.info.format == "jpeg" and outcome.info.size > 0 and not outcome.info.sha256
    preview = rt.config.previews_dir / outcome.preview
    assert preview.suffix == ".jpg" and preview.read_bytes() == rendition  # kept as it is
    hits = [h for h in simulator.requests if h.path.startswith(("/fanart/", "/preview/"))]
    assert sorted(h.status for h in hits) == [200, 206]
    whole = next(h for h in hits if h.status == 206)
    assert whole.size <= 2048  # the first bytes only
    assert outcome.size < requests_size(simulator, url) / 4


def watch_temp_files(an: Analyser) -> list[Path]:
    """The temp files the Analyser makes from now on."""
    made: list[Path] = []
    temp_file = an.temp_file

    def recorded(suffix=".part"):
        made.append(temp_file(suffix))
        return made[-1]

    an.temp_file = recorded
    return made


def test_a_rendition_too_large_for_memory_goes_to_a_temp_file(rt, simulator, monkeypatch):
    import metarrd.enrich.analysis as analysis

    fanart = simulator.catalog.get(603).images.fanart["movieposter"][0]
    url = simulator.image_url(fanart)
    small = url.replace("/fanart/", "/preview/")
    rendition = requests.get(small, timeout=10).content
    monkeypatch.setattr(analysis, "IN_MEMORY_BYTES", len(rendition) // 3)
    with Analyser(rt.config, rt.http) as an:
        files = watch_temp_files(an)
        outcome = an.probe(url, "fanart", small_url=small).result()
        assert [f.exists() for f in files] == [False]  # spilled, analysed, removed
    assert outcome.ok and (outcome.info.width, outcome.info.height) == (fanart.width, fanart.height)
    assert (rt.config.previews_dir / outcome.preview).read_bytes() == rendition


def requests_size(simulator, url):
    return len(requests.get(url, timeout=5).content)


def test_a_server_that_ignores_range_gets_a_whole_download(rt, simulator):
    fanart = simulator.catalog.get(603).images.fanart["movieposter"][0]
    url = simulator.image_url(fanart)
    simulator.honour_range = False
    try:
        with Analyser(rt.config, rt.http) as an:
            outcome = an.probe(url, "fanart", small_url=url.replace("/fanart/", "/preview/"))
            outcome = outcome.result()
            assert (
                outcome.path.read_bytes() == requests.get(url, timeout=5).content
            )  # for the cache
    finally:
        simulator.honour_range = True
    assert outcome.ok and outcome.whole and len(outcome.info.sha256) == 64
    assert (outcome.info.width, outcome.info.height) == (fanart.width, fanart.height)


def test_an_exact_stated_size_needs_no_header(rt, simulator):
    poster = simulator.catalog.get(603).images.posters[0]
    url = simulator.image_url(poster)
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:
        outcome = an.probe(
            url, "tmdb", small_url=simulator.image_url(poster, "w342"),
            stated=(poster.width, poster.height), exact=True,
        ).result()  # fmt: skip
        lied = an.probe(
            simulator.image_url(simulator.catalog.get(603).images.posters[1]), "tmdb",
            small_url=simulator.image_url(simulator.catalog.get(603).images.posters[1], "w342"),
            stated=(300, 300), exact=True,
        ).result()  # fmt: skip
    assert (outcome.info.width, outcome.info.height) == (poster.width, poster.height)
    assert [h.path.split("/")[3] for h in simulator.requests if h.status == 206] == ["original"]
    real = simulator.catalog.get(603).images.posters[1]
    assert (lied.info.width, lied.info.height) == (real.width, real.height)  # shape disagreed


def test_items_sharing_one_download_all_get_it_into_the_cache(rt, simulator):
    """A show and its season both offer the same picture (a show's fanart is a season's too):
    with one Analyser they share one whole download. Placed by both, even at once and under
    different types, each gets its cache file; the second found "the download is gone" (or
    its temp file moved away under it) and lost the picture from the selection."""
    url = poster_url(simulator)
    with Analyser(rt.config, rt.http) as an:
        outcome = an.fetch(url, "tmdb").result()
        assert outcome.ok and outcome.path is not None
        outcomes = {url: outcome}
        placers, rows = [], []
        for asset_type in ("fanart", "landscape", "poster", "keyart"):
            row = db.ArtworkCandidate(url=url, asset_type=asset_type, provider="tmdb")
            take_info(row, outcome.info)
            rows.append(row)
            placers.append(_Placing(rt.config, 0, {(asset_type, url): row}, outcomes, an, "t"))
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(lambda pr: pr[0]._place([pr[1]]), zip(placers, rows, strict=True))
            )
    for [(row, target, reason)] in results:
        assert reason is None, reason
        assert target == cache.cache_path(rt.config.cache_dir, row.asset_type, outcome.info)
        assert target.read_bytes()[:2] == b"\xff\xd8"


def test_a_host_that_asks_to_wait_keeps_its_queue_in_order_until_its_time(make_rt, simulator):
    """A 429 with Retry-After holds the host's whole queue: nothing is sent to it before its
    time, and then the refused image goes first and the rest follow in the order asked,
    while another host's images go on meanwhile."""
    rt = make_rt(enrich={"concurrency": 1})
    movie = simulator.catalog.get(603)
    tmdb = [simulator.image_url(a, "w342") for a in movie.images.posters[:3]]
    fanart = [simulator.image_url(a) for a in movie.images.fanart["movieposter"][:2]]
    simulator.fail_429(1, retry_after=1, prefix="/t/p/")
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:
        futures = [an.fetch(url, "tmdb") for url in tmdb]
        futures += [an.fetch(url, "fanart") for url in fanart]
        assert all(f.result().ok for f in futures)
    hits = [h for h in simulator.requests if h.method == "GET"]
    tmdb_hits = [(h.path, h.status) for h in hits if h.path.startswith("/t/p/")]
    paths = [urlsplit(url).path for url in tmdb]
    assert tmdb_hits == [(paths[0], 429)] + [(p, 200) for p in paths], tmdb_hits
    first_fanart = next(i for i, h in enumerate(hits) if not h.path.startswith("/t/p/"))
    assert first_fanart == 1, hits  # fanart.tv's images did not wait for TMDB's host


# --- a likely pick whose whole decode is dear (a PNG): its rendition and the whole file at once


def decodes(monkeypatch) -> list[str]:
    """What the analysis decodes (in this process: `analysis_processes = 0`): "rendition" for
    bytes in memory, "whole" for a downloaded file."""
    from metarrd.enrich import analysts

    seen: list[str] = []
    for name in ("analyse_with_preview", "analyse_image"):
        real = getattr(analysts, name)

        def spy(source, *args, _real=real, **kwargs):
            seen.append("rendition" if isinstance(source, bytes) else "whole")
            return _real(source, *args, **kwargs)

        monkeypatch.setattr(analysts, name, spy)
    return seen


def clear_art(simulator):
    art = simulator.catalog.get(603).images.fanart["hdmovieclearart"][0]
    url = simulator.image_url(art)
    return art, url, url.replace("/fanart/", "/preview/")


def test_a_png_pick_is_pictured_by_its_rendition_and_checked_whole_not_decoded(
    make_rt, simulator, monkeypatch
):
    from metarrd.imaging import analyse_with_preview

    rt = make_rt(enrich={"analysis_processes": 0})
    art, url, small = clear_art(simulator)
    seen = decodes(monkeypatch)
    simulator.reset_requests()
    with Analyser(rt.config, rt.http) as an:
        outcome = an.pick(url, "fanart", small_url=small).result()
        assert an.pick(url, "fanart", small_url=small).result() is outcome  # once
        assert an.fetch(url, "fanart").result() is outcome
        kept = outcome.path.read_bytes()  # the whole file, for the cache
    asked = sorted(h.path for h in simulator.requests)
    whole = requests.get(url, timeout=5).content
    rendition = requests.get(small, timeout=5).content
    assert seen == ["rendition"]  # the 1000x562 PNG itself was never decoded
    assert asked == sorted([urlsplit(small).path, urlsplit(url).path])  # each once
    assert outcome.ok and outcome.whole and kept == whole
    assert (outcome.info.width, outcome.info.height, outcome.info.format) == (
        art.width, art.height, "png",
    )  # fmt: skip
    assert outcome.info.sha256 == hashlib.sha256(whole).hexdigest()
    assert outcome.info.size == len(whole) and outcome.size == len(whole) + len(rendition)
    assert outcome.info.phash == analyse_with_preview(rendition)[0].phash
    preview = rt.config.previews_dir / outcome.preview
    assert preview.is_file()
    with Image.open(preview) as im:
        assert max(im.size) <= 300


@pytest.mark.parametrize("broken", ["missing", "garbage"])
def test_a_png_pick_without_a_usable_rendition_is_analysed_whole(
    make_rt, simulator, monkeypatch, broken
):
    from metarrd.imaging import analyse_with_preview

    rt = make_rt(enrich={"analysis_processes": 0})
    art, url, small = clear_art(simulator)
    if broken == "missing":
        simulator.not_found(urlsplit(small).path)
    else:
        simulator.corrupt(urlsplit(small).path, "garbage")
    seen = decodes(monkeypatch)
    with Analyser(rt.config, rt.http) as an:
        outcome = an.pick(url, "fanart", small_url=small).result()
    whole = requests.get(url, timeout=5).content
    assert "whole" in seen
    assert outcome.ok and outcome.whole and outcome.preview
    assert (outcome.info.width, outcome.info.height) == (art.width, art.height)
    assert outcome.info.phash == analyse_with_preview(whole)[0].phash


def test_a_png_pick_cut_short_is_rejected_though_its_rendition_is_fine(make_rt, simulator):
    rt = make_rt()  # in the worker processes, as the daemon runs
    _art, url, small = clear_art(simulator)
    simulator.corrupt(urlsplit(url).path, "truncated")
    with Analyser(rt.config, rt.http) as an:
        outcome = an.pick(url, "fanart", small_url=small).result()
    assert not outcome.ok and not outcome.retry
    assert "truncated" in outcome.reason


def test_a_png_pick_whose_download_fails_is_tried_again_next_time(make_rt, simulator):
    rt = make_rt(providers={"timeout_seconds": 10.0, "max_retries": 0})
    _art, url, small = clear_art(simulator)
    simulator.fail_5xx(1, status=500, prefix=urlsplit(url).path)
    with Analyser(rt.config, rt.http) as an:
        outcome = an.pick(url, "fanart", small_url=small).result()
        assert not list(an.workdir.iterdir())  # nothing left behind
    assert not outcome.ok and outcome.retry and "500" in outcome.reason


def test_a_png_pick_whose_preview_cannot_be_written_fails_the_item_not_the_picture(
    make_rt, simulator, monkeypatch
):
    """A full data_dir met while keeping the rendition's preview is the item's error (as for
    any candidate: analysis.own_disk_error), handed to whoever waits for the pick, never left
    hanging; the whole file's temp file goes."""
    import errno

    from metarrd.enrich import analysts
    from metarrd.errors import MetarrdError

    rt = make_rt(enrich={"analysis_processes": 0})
    _art, url, small = clear_art(simulator)

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device", str(rt.config.previews_dir))

    monkeypatch.setattr(analysts, "examine_small", full)
    with Analyser(rt.config, rt.http) as an:
        future = an.pick(url, "fanart", small_url=small)
        with pytest.raises(MetarrdError, match="(?i)space|full"):
            future.result(timeout=30)
        assert not list(an.workdir.iterdir())  # the whole file is not left behind
