"""A published movie's or episode's file replaced under the same name, with no webhook: an
upgrade whose naming format has no quality in it (Radarr's `{Movie Title} ({Release Year})`,
Sonarr's `{Series Title} - S{season:00}E{episode:00} - {Episode Title}`) with the webhook off,
a re-encode, a file swapped by hand. The watcher's scan or a rescan reads the new file's
streams; the NFO we published still described the old file in its `<fileinfo><streamdetails>`
(Kodi takes them as they are and does not probe the file: a 2160p HDR remux shown as the old
1080p H.264) and the item stayed "Published". It is "Republish?" now, and its next publish
writes the new file's streams. Real files (tests/media): an H.264 one replaced by an HEVC HDR10
one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from metarrd import db
from metarrd.publish import publish_item
from metarrd.scan import scan
from tests.publish.tvshow import build_show, tv_runtime

MEDIA = Path(__file__).resolve().parent.parent / "media"
H264 = MEDIA / "h264_aac_2audio_sub.mkv"  # H.264 with two AAC tracks
HEVC = MEDIA / "hevc_hdr10.mkv"  # HEVC, HDR10
PILOT = "Season 01/Breaking Bad - S01E01 - Pilot.mkv"


def replaced(video: Path, source: Path) -> None:
    """`video` replaced by a copy of `source` as Radarr and Sonarr import one: the new file
    copied beside it, then moved over it (another inode, the same name)."""
    part = video.with_name(video.name + ".partial~")
    shutil.copy2(source, part)
    os.replace(part, video)


def codecs(nfo: Path) -> str:
    text = nfo.read_text("utf-8")
    return text[text.index("<streamdetails>") : text.index("</streamdetails>")]


def test_a_published_movie_replaced_under_its_name_is_to_republish(rt, build):
    built = build("Heat (1995)", streams=False, art={"poster": ["jpeg"]}, cast=[])
    video = Path(built.movie.path)
    replaced(video, H264)
    assert scan(rt).changed == [built.movie.id]  # its streams read
    publish_item(rt, built.reload())
    nfo = built.path("Heat (1995).nfo")
    assert "<codec>h264</codec>" in codecs(nfo)
    assert scan(rt).unchanged == 1  # a rescan of the file as it is changes nothing

    replaced(video, HEVC)
    report = scan(rt)

    assert report.changed == [built.movie.id] and report.restreamed == [built.movie.id]
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.OUTDATED
    publish_item(rt, built.reload())
    details = codecs(nfo)
    assert "<codec>hevc</codec>" in details and "<hdrtype>hdr10</hdrtype>" in details
    assert "h264" not in details
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.PUBLISHED


@pytest.mark.parametrize("how", ["touched", "copied back"])
def test_a_published_movie_whose_file_reads_the_same_stays_published(rt, build, how):
    """Its time changed (`touch`), or the same file copied over it: read again (the scan
    cannot know without reading it), the same streams; nothing for a publish to change."""
    built = build("Heat (1995)", streams=False, art={"poster": ["jpeg"]}, cast=[])
    video = Path(built.movie.path)
    replaced(video, H264)
    scan(rt)
    publish_item(rt, built.reload())
    if how == "touched":
        os.utime(video, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    else:  # a copy made now: another time
        part = video.with_name("copy~")
        shutil.copyfile(H264, part)
        os.replace(part, video)

    report = scan(rt)

    assert report.changed == [built.movie.id] and report.restreamed == []
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.PUBLISHED


def test_a_movie_never_published_replaced_under_its_name_stays_unpublished(rt, build):
    built = build("Heat (1995)", streams=False, cast=[])
    video = Path(built.movie.path)
    replaced(video, H264)
    scan(rt)
    replaced(video, HEVC)

    report = scan(rt)

    assert report.restreamed == []
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.UNPUBLISHED
    (stream,) = db.VideoStream.select().where(db.VideoStream.movie == built.movie.id)
    assert stream.codec == "hevc"


@pytest.fixture
def trt(tmp_path):
    runtime = tv_runtime(tmp_path)
    yield runtime
    runtime.close()


def test_a_published_episode_replaced_under_its_name_is_to_republish(trt):
    built = build_show(trt, files={PILOT: (1, [1])}, art={}, thumbs=False)
    video = built.path(PILOT)
    (episode,) = built.episodes.values()
    replaced(video, H264)
    scan(trt)
    publish_item(trt, built.show)
    nfo = video.with_suffix(".nfo")
    assert "<codec>h264</codec>" in codecs(nfo)
    assert db.Movie.get_by_id(episode.id).publish_state == db.PUBLISHED

    replaced(video, HEVC)
    report = scan(trt)

    assert report.restreamed == [episode.id]
    assert db.Movie.get_by_id(episode.id).publish_state == db.OUTDATED
    assert built.reload().publish_state == db.OUTDATED  # published as one unit
    publish_item(trt, db.Movie.get_by_id(episode.id))  # the episode alone
    details = codecs(nfo)
    assert "<codec>hevc</codec>" in details and "<hdrtype>hdr10</hdrtype>" in details
    assert db.Movie.get_by_id(episode.id).publish_state == db.PUBLISHED
    assert built.reload().publish_state == db.PUBLISHED


def test_a_movie_published_while_the_scan_reads_its_new_file_is_to_republish(
    rt, build, monkeypatch
):
    """The item "Republish?" (an edit) when the watcher's scan of its replaced file starts; its
    publish (the user's click, an auto-publish) lands while the scan reads the new file, and
    writes the old file's streams, the only ones recorded yet. The scan decided on the state it
    had read before the probe, not "Published": the item stayed "Published", its NFO the old
    file's."""
    from metarrd.scan import stage as scan_stage

    built = build("Heat (1995)", streams=False, art={"poster": ["jpeg"]}, cast=[])
    video = Path(built.movie.path)
    replaced(video, H264)
    assert scan(rt).changed == [built.movie.id]
    publish_item(rt, built.reload())
    db.mark_outdated(built.movie.id)  # edited since
    nfo = built.path("Heat (1995).nfo")
    replaced(video, HEVC)
    real = scan_stage.probe

    def published_meanwhile(rt_, root, video_):
        pr = real(rt_, root, video_)
        publish_item(rt, built.reload())
        return pr

    monkeypatch.setattr(scan_stage, "probe", published_meanwhile)
    report = scan(rt)

    assert "<codec>h264</codec>" in codecs(nfo)  # the publish meanwhile: the old file's
    assert report.restreamed == [built.movie.id]
    assert db.Movie.get_by_id(built.movie.id).publish_state == db.OUTDATED


def test_an_episode_published_while_the_scan_reads_its_new_file_is_to_republish(trt, monkeypatch):
    """As a movie's: the episode's publish lands while the TV scan reads its replaced file."""
    from metarrd.scan import tv as scan_tv

    built = build_show(trt, files={PILOT: (1, [1])}, art={}, thumbs=False)
    video = built.path(PILOT)
    (episode,) = built.episodes.values()
    replaced(video, H264)
    scan(trt)
    publish_item(trt, built.show)
    db.mark_outdated(episode.id)  # edited since
    replaced(video, HEVC)
    real = scan_tv.probe_episode

    def published_meanwhile(*args):
        pr = real(*args)
        publish_item(trt, db.Movie.get_by_id(episode.id))
        return pr

    monkeypatch.setattr(scan_tv, "probe_episode", published_meanwhile)
    report = scan(trt)

    assert "<codec>h264</codec>" in codecs(video.with_suffix(".nfo"))
    assert report.restreamed == [episode.id]
    assert db.Movie.get_by_id(episode.id).publish_state == db.OUTDATED


def test_an_episode_edited_while_the_scan_reads_its_new_file_keeps_the_edit(trt, monkeypatch):
    """The user locks the episode's title on its page while the TV scan reads its replaced
    file: the scan saved the item it had read before, whole, and the edit and its lock were
    set back."""
    from metarrd.scan import tv as scan_tv

    built = build_show(trt, files={PILOT: (1, [1])}, art={}, thumbs=False)
    video = built.path(PILOT)
    (episode,) = built.episodes.values()
    replaced(video, H264)
    scan(trt)
    replaced(video, HEVC)
    real = scan_tv.probe_episode

    def edited_meanwhile(*args):
        pr = real(*args)
        db.Movie.update(title="Pilot (Extended)", locked_fields=["title"]).where(
            db.Movie.id == episode.id
        ).execute()
        return pr

    monkeypatch.setattr(scan_tv, "probe_episode", edited_meanwhile)
    assert scan(trt).changed == [episode.id]

    item = db.Movie.get_by_id(episode.id)
    assert (item.title, item.locked_fields) == ("Pilot (Extended)", ["title"])
    assert db.VideoStream.get(db.VideoStream.movie == episode.id).codec == "hevc"
