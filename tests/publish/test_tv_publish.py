"""PUBLISH of a TV show: the kodi-tv.md §7 layout, as one unit, without losing the user's files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from metarrd import db
from metarrd.errors import ItemError
from metarrd.publish import apply, preview_publish, publish_item, publish_many
from metarrd.scan import apply_nfo_values
from metarrd.scan.tv_nfo import read_show_nfo
from tests.caseless import caseless
from tests.publish.conftest import add_asset, read_only
from tests.publish.tvshow import HARD_CASE, UNNUMBERED, build_show, tv_runtime

NFO = Path(__file__).resolve().parents[1] / "nfo"


@pytest.fixture
def trt(tmp_path):
    rt = tv_runtime(tmp_path)
    yield rt
    rt.close()


def files_under(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.suffix != ".mkv"
    }


def expected_layout() -> set[str]:
    names = {
        "tvshow.nfo",
        "poster.jpg",
        "poster1.jpg",
        "fanart.jpg",
        "fanart1.jpg",
        "banner.jpg",
        "clearlogo.png",
        "characterart.png",
        "season-all-poster.jpg",
        "season-specials-poster.jpg",
        "season01-poster.jpg",
        "season01-banner.jpg",
        "season02-poster.jpg",
        "season03-poster.jpg",
        ".actors/Bryan_Cranston.jpg",
        ".actors/Aaron_Paul.png",
        ".actors/Bob_Odenkirk.jpg",
        # Jellyfin's season NFO, in each season folder (both of season 1's); none for the
        # flat season 3 (`Breaking Bad - S03E01.mkv` in the show folder)
        "Season 01/season.nfo",
        "Season 1/season.nfo",
        "Season 02/season.nfo",
        "Specials/season.nfo",
    }
    for rel in HARD_CASE:
        base = rel.rsplit(".", 1)[0]
        names |= {f"{base}.nfo", f"{base}-thumb.jpg"}
    return names


def blocks(path: Path) -> list[etree._Element]:
    text = path.read_text("utf-8").split("?>", 1)[1]
    return [
        etree.fromstring((b + "</episodedetails>").encode())
        for b in text.split("</episodedetails>")
        if b.strip()
    ]


def test_a_hard_case_show_gets_exactly_the_layout(trt):
    built = build_show(trt)
    result = publish_item(trt, built.show)
    assert files_under(built.folder) == expected_layout()
    assert len(result.written) == len(expected_layout())
    show = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    assert show.tag == "tvshow"
    ids = {u.get("type"): (u.text, u.get("default")) for u in show.findall("uniqueid")}
    assert ids == {"tmdb": ("1396", "true"), "tvdb": ("81189", None), "imdb": ("tt0903747", None)}
    assert show.findtext("episodeguide") == '{"tmdb":"1396","tvdb":"81189","imdb":"tt0903747"}'
    assert {n.get("number"): n.text for n in show.findall("namedseason")}["3"] == "The Third"
    assert show.find("thumb") is None  # art is written as files
    multi = blocks(built.path("Season 02/Breaking Bad - S02E01-E03.nfo"))
    assert [(b.findtext("season"), b.findtext("episode")) for b in multi] == [
        ("2", "1"),
        ("2", "2"),
        ("2", "3"),
    ]
    assert multi[1].findtext("title") == "Episode 2x2 title"
    assert built.path("Season 02/Breaking Bad - S02E01-E03.nfo").read_text().count("<?xml") == 1
    season = etree.parse(str(built.path("Season 02/season.nfo"))).getroot()
    assert (season.tag, season.findtext("seasonnumber")) == ("season", "2")
    assert season.find("title") is None  # "Season 2" is no name: Jellyfin shows its own
    # every item of the show is published with it
    for item in [built.show, *built.seasons.values(), *built.episodes.values()]:
        assert db.Movie.get_by_id(item.id).publish_state == db.PUBLISHED
    ledger = {Path(r.path) for r in db.LibraryFile.select()}
    assert ledger == {built.folder / n for n in expected_layout()}


def test_a_second_publish_changes_no_file(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    before = {p: os.stat(built.folder / p) for p in files_under(built.folder)}
    again = publish_item(trt, built.show)
    assert again.written == [] and again.removed == []
    after = {p: os.stat(built.folder / p) for p in files_under(built.folder)}
    assert {p: (s.st_ino, s.st_mtime_ns) for p, s in before.items()} == {
        p: (s.st_ino, s.st_mtime_ns) for p, s in after.items()
    }
    assert not preview_publish(trt, built.show).changes


def test_the_users_files_are_backed_up_or_left(trt):
    built = build_show(trt)
    built.path("tvshow.nfo").write_text("<tvshow><title>mine</title></tvshow>")
    built.path("poster.png").write_bytes(b"my own poster, not even an image")
    built.path("season.nfo").write_text("left alone")
    ep_nfo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    ep_nfo.write_text("<episodedetails><title>my pilot</title></episodedetails>")
    result = publish_item(trt, built.show)
    assert len(result.backed_up) == 3
    assert not built.path("poster.png").exists()
    assert built.path("season.nfo").read_text() == "left alone"
    kept = {
        Path(r.source_url).name for r in db.CacheImageFile.select() if r.source_type == "library"
    }
    assert kept == {"tvshow.nfo", "poster.png", "Breaking Bad - S01E01 - Pilot.nfo"}
    for row in db.CacheImageFile.select().where(db.CacheImageFile.source_type == "library"):
        assert Path(row.file_path).is_file()


def test_the_users_art_in_other_letters_is_backed_up_not_left_beside_ours(trt):
    """Kodi lowers the art type and extension of show art (`Poster.JPG` is a poster) and of
    what follows `season01-` (`CVideoInfoScanner::AddLocalItemArtwork`): left there, Kodi
    would show whichever its listing gives last. `Season01-poster.jpg` is no season art to
    Kodi 20 (`season01-` is compared exactly) and stays."""
    built = build_show(trt)
    if built.path("TVSHOW.NFO").exists() or built.path("Season 01").with_name("SEASON 01").exists():
        pytest.skip("a case-insensitive file system")
    for name in ("Poster.JPG", "season01-Poster.jpg", "Season01-poster.jpg"):
        built.path(name).write_bytes(f"mine: {name}".encode())
    thumb = "Season 01/Breaking Bad - S01E01 - Pilot-thumb.JPEG"
    built.path(thumb).write_bytes(b"my own still")
    publish_item(trt, built.show)
    names = set(files_under(built.folder))
    assert names == expected_layout() | {"Season01-poster.jpg"}
    kept = {
        Path(r.source_url).name for r in db.CacheImageFile.select() if r.source_type == "library"
    }
    assert kept == {"Poster.JPG", "season01-Poster.jpg", Path(thumb).name}


def test_no_episodeguide_while_a_file_gets_no_nfo(trt):
    built = build_show(trt, unnumbered=[UNNUMBERED])
    result = publish_item(trt, built.show)
    show = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    assert show.find("episodeguide") is None
    assert any("without episodeguide" in n for n in result.skipped)
    assert any("Behind the Scenes.mkv gets no NFO" in n for n in result.skipped)
    # every other episode still gets its NFO
    assert built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").is_file()


def test_names_kodi_would_misread_are_warned_about(trt):
    built = build_show(trt)
    plan = preview_publish(trt, built.show)
    warning = [n for n in plan.notes if "Kodi 21 and older" in n]
    assert len(warning) == 1
    assert "S02E01-E03.mkv" in warning[0] and "episode 2 would not appear" in warning[0]
    assert not files_under(built.folder)  # the preview wrote nothing


def test_an_episode_or_season_publishes_its_whole_show_once(trt):
    built = build_show(trt)
    episodes = list(built.episodes.values())
    outcomes = publish_many(trt, [episodes[0], built.seasons[1], episodes[1]])
    assert outcomes[0] is outcomes[1] is outcomes[2]
    assert files_under(built.folder) == expected_layout()


def test_a_gone_episode_loses_its_sidecars_an_unenriched_one_keeps_them(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    gone = built.episodes["Breaking Bad - S03E01.mkv"]
    Path(gone.path).unlink()
    db.Movie.update(missing=True).where(db.Movie.id == gone.id).execute()
    waiting = built.episodes["Season 01/Breaking.Bad.s01.e02.mkv"]
    db.Movie.update(identification_status=db.IDENTIFIED).where(db.Movie.id == waiting.id).execute()
    result = publish_item(trt, built.show)
    assert not built.path("Breaking Bad - S03E01.nfo").exists()
    assert not built.path("Breaking Bad - S03E01-thumb.jpg").exists()
    assert len(result.removed) == 2
    assert built.path("Season 01/Breaking.Bad.s01.e02.nfo").is_file()
    assert built.path("Season 01/Breaking.Bad.s01.e02-thumb.jpg").is_file()
    assert etree.parse(str(built.path("tvshow.nfo"))).getroot().find("episodeguide") is None


def test_a_changed_episode_makes_its_show_ask_to_republish(trt):
    built = build_show(trt)
    publish_item(trt, built.show)
    ep = next(iter(built.episodes.values()))
    db.mark_outdated(ep.id)
    assert built.reload().publish_state == db.OUTDATED


def test_an_unenriched_show_is_refused(trt):
    built = build_show(trt)
    db.Movie.update(identification_status=db.IDENTIFIED).where(
        db.Movie.id == built.show.id
    ).execute()
    with pytest.raises(ItemError, match="not enriched"):
        publish_item(trt, built.reload())


def _published_over(trt, built, nfo_data):
    """The show taken in with the user's tvshow.nfo values, as SCAN does, then published: the
    tvshow.nfo we wrote, parsed."""
    show = db.Movie.get_by_id(built.show.id)
    apply_nfo_values(show, nfo_data)
    show.save()
    publish_item(trt, db.Movie.get_by_id(show.id))
    return etree.parse(str(built.path("tvshow.nfo"))).getroot()


def test_the_users_tags_and_own_elements_of_tvshow_nfo_are_kept(trt):
    """A tinyMediaManager-style tvshow.nfo, taken in as SCAN does: its `<tag>`s, `<sorttitle>`
    and the elements metarrd does not own (`<userrating>`, `<user_note>`) are written back."""
    built = build_show(trt)
    user_nfo = Path(__file__).parents[1] / "nfo" / "tmm-kodi-tvshow.nfo"
    root = _published_over(trt, built, read_show_nfo(user_nfo).data)
    assert [t.text for t in root.findall("tag")] == ["Favourites", "Rewatch 2024"]
    assert root.findtext("sorttitle") == "Breaking Bad 1"
    assert root.findtext("user_note") == "Watch with Dad"
    assert root.findtext("userrating") == "10.0"
    assert len(root.findall("uniqueid")) == 3 and root.find("tmdbid") is None
    tags = [el.tag for el in root if isinstance(el.tag, str)]
    assert tags.index("genre") < tags.index("tag") < tags.index("premiered")


def test_a_kodi_export_tvshow_nfos_countries_runtime_and_tagline_are_kept(trt, tmp_path):
    """A Kodi library export (tinyMediaManager's kodi17.0.nfo, tests/nfo/SOURCES.md): its
    `<country>`s and `<runtime>` (and a tagline, an outline, a trailer, which Jellyfin reads for
    a series) come from no TV provider, only the user's NFO: the scan takes them into the show,
    so they are written from it, where they were left out (elements we own, never written for a
    show). Kodi's `type="unknown"` id is TheTVDB's and is not written back beside ours."""
    built = build_show(trt)
    text = (NFO / "tmm-tvshow-kodi17.0.nfo").read_text("utf-8")
    text = text.replace("<tagline></tagline>", "<tagline>Undercover cops</tagline>")
    text = text.replace("<outline></outline>", "<outline>Young cops.</outline>")
    text = text.replace(
        "<trailer></trailer>", "<trailer>plugin://plugin.video.youtube/play/?video_id=x</trailer>"
    )
    user_nfo = tmp_path / "tvshow.nfo"
    user_nfo.write_text(text, "utf-8")
    read = read_show_nfo(user_nfo)
    assert read.tvdb_id == 77585 and read.source == {"tvdb": "uniqueid without a type"}
    root = _published_over(trt, built, read.data)
    assert [c.text for c in root.findall("country")] == ["US", "CA"]
    assert root.findtext("runtime") == "45"
    assert root.findtext("tagline") == "Undercover cops"
    assert root.findtext("outline") == "Young cops."
    assert root.findtext("trailer") == "plugin://plugin.video.youtube/play/?video_id=x"
    assert [u.get("type") for u in root.iterfind("uniqueid")] == ["tmdb", "tvdb", "imdb"]
    assert root.findtext("resume/position") == "0.000000"  # the rest of the user's stays
    tags = [el.tag for el in root if isinstance(el.tag, str)]
    assert tags.index("outline") < tags.index("plot") < tags.index("tagline") < tags.index("mpaa")
    assert tags.index("genre") < tags.index("country") < tags.index("premiered")


def test_a_jellyfin_tvshow_nfos_named_ids_are_read_and_imdb_id_not_written_back(trt, tmp_path):
    """Jellyfin and Emby name a series' ids `<tmdbid>`, `<tvdbid>` and `<imdb_id>` (BaseNfoSaver)
    and read them, the last one met winning (BaseNfoParser). Without a uniqueid they were not
    read at all; `<imdb_id>` was written back after our uniqueid, where a stale one would win
    in Jellyfin: it is ours now, like `<imdbid>`."""
    built = build_show(trt)
    user_nfo = tmp_path / "tvshow.nfo"
    user_nfo.write_text(
        "<tvshow><title>Breaking Bad</title><lockdata>false</lockdata>"
        "<imdb_id>tt0000001</imdb_id><tmdbid>1396</tmdbid><tvdbid>81189</tvdbid>"
        "<tvrageid>18164</tvrageid></tvshow>"
    )
    read = read_show_nfo(user_nfo)  # no uniqueid: the ids their elements name are the ids
    assert (read.tmdb_id, read.tvdb_id, read.imdb_id) == (1396, 81189, "tt0000001")
    root = _published_over(trt, built, read.data)
    assert root.find("imdb_id") is None and root.find("tvdbid") is None
    assert [u.text for u in root.iterfind("uniqueid")] == ["1396", "81189", "tt0903747"]
    assert root.findtext("tvrageid") == "18164" and root.findtext("lockdata") == "false"


def test_a_season_folder_that_leads_out_of_the_library_gets_nothing(trt, tmp_path):
    """`Season 01` is a symlink to a folder outside every library (follow_symlinks off): its
    episodes are skipped with a note, nothing is written or removed there, the rest publishes."""
    built = build_show(trt)
    publish_item(trt, built.show)  # published once while the folder was inside
    outside = tmp_path / "outside"
    outside.mkdir()
    season = built.path("Season 01")
    season.rename(outside / "Season 01")
    season.symlink_to(outside / "Season 01")
    before = {p.name: p.read_bytes() for p in (outside / "Season 01").iterdir()}
    (outside / "Season 01" / "Breaking.Bad.s01.e02.nfo").unlink()  # ours, gone: not rewritten
    del before["Breaking.Bad.s01.e02.nfo"]

    result = publish_item(trt, built.reload())

    assert {p.name: p.read_bytes() for p in (outside / "Season 01").iterdir()} == before
    assert any("Pilot.mkv gets no NFO now" in n and "outside every" in n for n in result.skipped)
    assert built.path("Season 1/Breaking Bad S01E04E05.nfo").is_file()
    assert etree.parse(str(built.path("tvshow.nfo"))).getroot().find("episodeguide") is None
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    assert db.Movie.get_by_id(pilot.id).last_published_at < built.reload().last_published_at


def test_an_episode_name_too_long_for_its_thumb_skips_only_that_thumb(trt):
    long = "Breaking Bad - S01E03 - " + "x" * 216 + " 1080p"  # `-thumb.jpg` makes 256 bytes
    files = {
        "Season 01/Breaking Bad - S01E01 - Pilot.mkv": (1, [1]),
        f"Season 01/{long}.mkv": (1, [3]),
    }
    built = build_show(trt, files=files)
    # a row a failed publish once left for that name: looking at it must not fail either
    db.LibraryFile.create(
        path=str(built.path(f"Season 01/{long}-thumb.jpg")),
        movie=built.show.id,
        kind="art",
        sha256="",
        size=0,
        written_at=db.now(),
        pending_sha256="0" * 64,
    )

    for _ in range(2):  # and the next publish too
        result = publish_item(trt, built.reload())

    assert any(f"thumb of {long}" in n and "255-byte limit" in n for n in result.skipped)
    assert built.path(f"Season 01/{long}.nfo").is_file()
    assert built.path("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg").is_file()
    assert built.path("tvshow.nfo").is_file()
    assert not db.LibraryFile.get_or_none(db.LibraryFile.sha256 == "")


def test_a_fifo_where_an_episode_nfo_goes_skips_that_episode_only(trt):
    built = build_show(trt)
    fifo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    os.mkfifo(fifo)

    result = publish_item(trt, built.show)

    assert fifo.is_fifo()
    assert any("Pilot.nfo is a FIFO (named pipe), where its NFO goes" in n for n in result.skipped)
    assert built.path("Season 01/Breaking.Bad.s01.e02.nfo").is_file()
    assert etree.parse(str(built.path("tvshow.nfo"))).getroot().find("episodeguide") is None
    assert not db.LibraryFile.get_or_none(db.LibraryFile.path == str(fifo))


def test_the_summary_line_names_the_episode_left_without_its_nfo(trt):
    """A folder where an episode's NFO goes: the publish line (the CLI's, the show's history,
    the activity) shows the first note of `N skipped (…)`, and that is the episode Kodi now
    lists without its metadata, not a note on a name Kodi 21 misreads, which came first."""
    built = build_show(trt)
    built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").mkdir()

    result = publish_item(trt, built.show)

    assert "S02E01-E03.mkv: Kodi 21 and older read it as" in "\n".join(result.skipped)
    assert (
        "skipped (Breaking Bad - S01E01 - Pilot.mkv gets no NFO now: Breaking Bad - S01E01 - "
        "Pilot.nfo is a folder, where its NFO goes (remove or rename it))" in str(result)
    )


def test_two_videos_of_one_name_do_not_take_turns_at_its_nfo(trt):
    """`S01E01.mkv` beside `S01E01.avi` (an upgrade's leftover): both would write
    `S01E01.nfo` and `S01E01-thumb.jpg`, each publish replacing the other's. The first keeps
    the names, the other gets no NFO, with a note; a republish changes nothing."""
    files = {"Season 01/Show S01E01.avi": (1, [1]), "Season 01/Show S01E01.mkv": (1, [1])}
    built = build_show(trt, files=files)
    db.VideoStream.create(movie=built.episodes["Season 01/Show S01E01.mkv"].id, codec="hevc")

    result = publish_item(trt, built.show)

    nfo = built.path("Season 01/Show S01E01.nfo")
    assert result.written.count(str(nfo)) == 1
    assert "hevc" not in nfo.read_text()  # the .avi's (first by path)
    assert any(
        "Show S01E01.mkv gets no NFO now: Show S01E01.nfo is the NFO name of Show S01E01.avi" in n
        for n in result.skipped
    )
    again = publish_item(trt, built.reload())
    assert again.written == [] and again.removed == []


def test_a_season_folder_renamed_while_publishing_is_not_made_again(trt, monkeypatch):
    """The user renames `Season 02` to `Season 2` between the plan and the writes: its NFO and
    thumb have no video to sit beside any more. The folder is not made again for them (a stray
    `Season 02/` with sidecars only); the show fails naming it, nothing changed."""
    built = build_show(trt)
    real_apply = apply.apply_all

    def rename_then_apply(rt, jobs):
        built.path("Season 02").rename(built.path("Season 2"))
        return real_apply(rt, jobs)

    monkeypatch.setattr(apply, "apply_all", rename_then_apply)

    with pytest.raises(ItemError, match=r"Season 02: the folder is gone \(moved or removed\)"):
        publish_item(trt, built.show)

    assert not built.path("Season 02").exists()
    assert files_under(built.folder) == set()


def test_an_episode_that_gets_no_nfo_is_not_marked_published(trt):
    """A FIFO where the pilot's NFO goes: the rest of the show publishes, but the pilot is not
    "published" (no NFO of ours is there), and its own page says why; once the FIFO is gone, a
    publish writes its NFO and clears that."""
    built = build_show(trt)
    fifo = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    os.mkfifo(fifo)
    pilot = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    other = built.episodes["Season 01/Breaking.Bad.s01.e02.mkv"]

    publish_item(trt, built.show)

    assert db.Movie.get_by_id(other.id).publish_state == db.PUBLISHED
    after = db.Movie.get_by_id(pilot.id)
    assert after.publish_state == db.UNPUBLISHED and after.last_published_at is None
    assert "Pilot.nfo is a FIFO (named pipe), where its NFO goes" in after.last_error

    fifo.unlink()
    publish_item(trt, built.reload())
    after = db.Movie.get_by_id(pilot.id)
    assert after.publish_state == db.PUBLISHED and after.last_error is None
    assert fifo.is_file()


def test_an_episode_nfo_linked_to_dev_null_skips_that_episode_only(trt):
    """`Pilot.nfo -> /dev/null` (a way to keep tools from writing an NFO there): nothing can be
    copied from it before replacing it, so that episode is skipped, as for a FIFO; before,
    the whole show failed on it, every time."""
    built = build_show(trt)
    link = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    link.symlink_to("/dev/null")

    result = publish_item(trt, built.show)

    assert os.readlink(link) == "/dev/null"
    assert any(
        "Pilot.nfo is a symbolic link to a character device, where its NFO goes" in n
        for n in result.skipped
    )
    assert built.path("Season 01/Breaking.Bad.s01.e02.nfo").is_file()
    assert built.path("tvshow.nfo").is_file()


def test_an_episode_nfo_linked_out_of_every_library_is_replaced_not_copied(trt, tmp_path):
    """`Pilot.nfo -> /somewhere/secret`: the link is replaced by our NFO, and what it led to is
    not copied into data_dir (it is not the library's) nor touched."""
    built = build_show(trt)
    secret = tmp_path / "outside" / "secret"
    secret.parent.mkdir()
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    link = built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo")
    link.symlink_to(secret)

    result = publish_item(trt, built.show)

    assert link.is_file() and not link.is_symlink()
    assert secret.read_bytes() == b"root:x:0:0:root:/root:/bin/bash\n"
    data = trt.config.cache_dir.parent
    assert not [p for p in data.rglob("*") if p.is_file() and p.read_bytes() == secret.read_bytes()]
    assert any("Pilot.nfo is a symbolic link to" in n and "not copied" in n for n in result.skipped)


def test_our_old_nfo_swapped_for_a_fifo_is_left_not_fatal(trt):
    """A gone episode's NFO (ours, in the ledger, no longer wanted) that the user replaced by a
    FIFO: it cannot be copied into the cache, so it is left as it is with a note, as a FIFO
    at any other name is; before, the whole show failed on it, every time."""
    built = build_show(trt)
    publish_item(trt, built.show)
    gone = built.episodes["Breaking Bad - S03E01.mkv"]
    Path(gone.path).unlink()
    db.Movie.update(missing=True).where(db.Movie.id == gone.id).execute()
    nfo = built.path("Breaking Bad - S03E01.nfo")
    nfo.unlink()
    os.mkfifo(nfo)

    result = publish_item(trt, built.reload())

    assert nfo.is_fifo()
    assert any(
        "S03E01.nfo: a FIFO (named pipe)" in n and "left as it is" in n for n in result.skipped
    )
    assert not built.path("Breaking Bad - S03E01-thumb.jpg").exists()
    assert etree.parse(str(built.path("tvshow.nfo"))).getroot().find("episodeguide") is not None


def test_a_symlinked_actors_folder_skips_the_actor_images_only(trt, tmp_path):
    """`.actors` is a symlink to a folder outside the library: nothing is written, removed or
    cleaned up through it, and the rest of the show publishes (before, the whole show was
    refused, every time)."""
    built = build_show(trt)
    publish_item(trt, built.show)  # .actors/ of ours, in the ledger
    elsewhere = tmp_path / "elsewhere"
    built.path(".actors").rename(elsewhere)
    (elsewhere / ".metarrd-tmp-not-ours-to-clean").write_bytes(b"x")
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    built.path(".actors").symlink_to(elsewhere)
    db.Actor.update(name="Bryan Lee Cranston").where(db.Actor.name == "Bryan Cranston").execute()
    built.path("tvshow.nfo").unlink()

    result = publish_item(trt, built.reload())

    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
    assert any(".actors is a symbolic link to" in n for n in result.skipped)
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    assert root.findtext("actor/name") == "Bryan Lee Cranston"


def test_a_read_only_season_folder_that_only_loses_a_file_leaves_that_folder_alone(trt):
    """A season folder where the publish only removes a file (an episode's thumb no longer
    chosen) but that cannot be written into: the removal waits, with a note naming the folder
    and why; the rest of the show is published (it refused the whole show before)."""
    built = build_show(trt)
    publish_item(trt, built.show)
    ep = built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"]
    db.ArtworkCandidate.update(is_selected=False).where(
        db.ArtworkCandidate.movie == ep.id
    ).execute()
    add_asset(trt, built.show, "landscape", rank=1)  # a new file in the show folder
    thumb = built.path("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg")
    with read_only(built.path("Season 01")):
        result = publish_item(trt, built.show)
        assert thumb.is_file() and built.path("landscape.jpg").is_file()
        assert any("Season 01: cannot write into it" in n for n in result.skipped), result.skipped
    result = publish_item(trt, built.show)  # writable again
    assert [Path(p).name for p in result.removed] == ["Breaking Bad - S01E01 - Pilot-thumb.jpg"]


def test_a_read_only_season_folder_leaves_its_episodes_out_and_publishes_the_rest(trt):
    """A season folder the user made read-only (a `chmod a-w`, a read-only bind mount of one
    season): its season.nfo and episode NFOs cannot be written there. The whole show was
    refused for it ("cannot write into .../Season 01; nothing was changed"); as for an
    episode whose NFO's place holds a FIFO, that folder's episodes and its season are left out,
    each saying why, and the others are published. tvshow.nfo goes without `episodeguide`,
    since Kodi with local information only would drop the whole show for one episode file
    without its NFO (kodi-tv.md §7)."""
    built = build_show(trt)
    with read_only(built.path("Season 01")):
        preview = preview_publish(trt, built.show)
        assert any("Season 01: cannot write into it" in n for n in preview.notes)
        publish_item(trt, built.show)
        assert [p.name for p in built.path("Season 01").iterdir() if p.suffix != ".mkv"] == []
    assert built.path("Season 02/season.nfo").is_file()
    assert built.path("Season 02/Breaking Bad - S02E01-E03.nfo").is_file()
    root = etree.parse(str(built.path("tvshow.nfo"))).getroot()
    assert root.find("episodeguide") is None
    left = db.Movie.get_by_id(built.episodes["Season 01/Breaking Bad - S01E01 - Pilot.mkv"].id)
    assert left.publish_state != db.PUBLISHED
    assert "cannot write into" in left.last_error and "Season 01" in left.last_error
    season = db.Movie.get_by_id(built.seasons[1].id)
    assert season.publish_state != db.PUBLISHED and "season.nfo" in season.last_error
    other = db.Movie.get_by_id(built.episodes["Season 02/Breaking Bad - S02E01-E03.mkv"].id)
    assert other.publish_state == db.PUBLISHED

    publish_item(trt, built.reload())  # writable again: the season's files come
    assert built.path("Season 01/season.nfo").is_file()
    assert built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").is_file()
    assert db.Movie.get_by_id(left.id).publish_state == db.PUBLISHED


def test_the_users_logo_jellyfin_reads_first_is_left_with_a_note(trt):
    """Jellyfin looks for a show's `logo` before its `clearlogo` (`LocalImageProvider`), and
    its own saver writes `logo.png` into the show folder: ours was never shown there."""
    built = build_show(trt)
    built.path("Logo.PNG").write_bytes(b"Jellyfin's")
    note = (
        "Logo.PNG is left as it is: Jellyfin shows it as the clear logo, before clearlogo.png; "
        "remove it to have Jellyfin show the clear logo chosen here"
    )
    assert note in preview_publish(trt, built.show).notes
    result = publish_item(trt, built.show)
    assert note in result.skipped
    assert built.path("Logo.PNG").read_bytes() == b"Jellyfin's"


def test_what_we_wrote_for_a_season_left_without_files_goes_the_users_files_stay(trt):
    """A season another episode order leaves without files is hidden (missing: identify.tv
    `_season_items`; here its episode file is numbered into season 1 now, as TheTVDB's order
    does to Naruto's air-dated files). The next publish, of that episode alone too (the
    episode page's Publish, on a published show), removes the season poster and the
    `season.nfo` we wrote for the season (the ledger says they are ours and unchanged), as it
    removes an unmatched episode's NFO and thumb: Kodi lists the season's art for a season no
    longer there (and Jellyfin the season from its season.nfo). The user's own art for that
    season, never in the ledger, stays. An episode published alone left them all."""
    built = build_show(trt)
    publish_item(trt, built.show)
    assert built.path("season02-poster.jpg").is_file()
    assert built.path("Season 02/season.nfo").is_file()
    built.path("season02-fanart.jpg").write_bytes(b"the user's own fanart of season 2")
    moved = built.episodes["Season 02/Breaking Bad - S02E01-E03.mkv"]
    db.Movie.update(season=1, episodes=[6, 7, 8]).where(db.Movie.id == moved.id).execute()
    db.Movie.update(missing=True).where(db.Movie.id == built.seasons[2].id).execute()

    result = publish_item(trt, db.Movie.get_by_id(moved.id))
    assert not built.path("season02-poster.jpg").exists()
    assert not built.path("Season 02/season.nfo").exists()
    assert {Path(p).name for p in result.removed} == {"season02-poster.jpg", "season.nfo"}
    assert built.path("season02-fanart.jpg").read_bytes() == b"the user's own fanart of season 2"
    assert built.path("Season 02/Breaking Bad - S02E01-E03.nfo").is_file()  # its episode's
    for kept in ("Season 01/season.nfo", "season01-poster.jpg", "season03-poster.jpg"):
        assert built.path(kept).is_file()
    ledger = {Path(r.path) for r in db.LibraryFile.select()}
    assert built.path("season02-poster.jpg") not in ledger
    assert built.path("Season 02/season.nfo") not in ledger
    assert not publish_item(trt, built.show).removed  # the whole show: nothing more of it


def test_a_season_left_without_files_whose_folder_cannot_be_written_stays_to_publish(trt):
    """A season another episode order leaves without files, its folder read-only: its
    `season.nfo` cannot go. The season was made "Unpublished" all the same, and Jellyfin kept
    listing a season the page said nothing was left of; it stays to publish, saying why, and
    the next publish that can remove the file makes it unpublished."""
    built = build_show(trt)
    publish_item(trt, built.show)
    moved = built.episodes["Season 02/Breaking Bad - S02E01-E03.mkv"]
    db.Movie.update(season=1, episodes=[6, 7, 8]).where(db.Movie.id == moved.id).execute()
    season = built.seasons[2]
    db.Movie.update(missing=True).where(db.Movie.id == season.id).execute()

    with read_only(built.path("Season 02")):
        result = publish_item(trt, built.reload())
        assert built.path("Season 02/season.nfo").is_file()
    assert not built.path("season02-poster.jpg").exists()  # the show folder can be written
    assert any("holds no episode file now" in n and "Season 02" in n for n in result.skipped)
    left = db.Movie.get_by_id(season.id)
    assert left.publish_state == db.OUTDATED
    assert "cannot write into" in left.last_error and "Season 02" in left.last_error

    result = publish_item(trt, built.reload())  # writable again
    assert not built.path("Season 02/season.nfo").exists()
    assert [Path(p).name for p in result.removed] == ["season.nfo"]
    done = db.Movie.get_by_id(season.id)
    assert (done.publish_state, done.last_error) == (db.UNPUBLISHED, None)


def test_the_summary_line_tells_warnings_apart_from_files_skipped(trt):
    """Every file of the show is written; its one note is a warning, that Kodi 21 reads
    `S02E01-E03.mkv` as S02E01 and S02E03 (episode 2 lost). The publish line said
    `1 skipped (…)` of it, as if a file had been left out. Files skipped and warnings are counted
    apart, and the line says how many more notes of each there are than the one it shows."""
    built = build_show(trt)
    result = publish_item(trt, built.show)
    line = str(result)
    assert "skipped" not in line, line
    assert line.endswith(
        ", 1 warning (Breaking Bad - S02E01-E03.mkv: Kodi 21 and older read it as S02E01, S02E03; "
        "episode 2 would not appear (naming it S02E01E02E03 is read the same by every player))"
    ), line

    built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").unlink()
    built.path("Season 01/Breaking Bad - S01E01 - Pilot.nfo").mkdir()
    built.path("Season 01/Breaking.Bad.s01.e02.nfo").unlink()
    built.path("Season 01/Breaking.Bad.s01.e02.nfo").mkdir()
    # two episodes left without their NFO, and our NFO of each left where it was (a folder
    # there now); the range, and tvshow.nfo written without its episodeguide
    line = str(publish_item(trt, db.Movie.get_by_id(built.show.id)))
    assert ", 4 skipped (Breaking Bad - S01E01 - Pilot.mkv gets no NFO now: " in line, line
    assert "(remove or rename it); and 3 more), 2 warnings (Breaking Bad - S02E01-E03" in line


def test_two_videos_whose_names_differ_in_case_only_do_not_take_turns_on_a_share(trt, monkeypatch):
    """`Show S01E01.avi` beside `show s01e01.mkv`: on a share that ignores case their
    `.nfo` and `-thumb.jpg` are one file each, as for two videos of one name. Their names were
    compared byte for byte: both were written, the later over the earlier, at every publish."""
    files = {"Season 01/Show S01E01.avi": (1, [1]), "Season 01/show s01e01.mkv": (1, [1])}
    built = build_show(trt, files=files)
    db.VideoStream.create(movie=built.episodes["Season 01/show s01e01.mkv"].id, codec="hevc")
    caseless(monkeypatch)

    result = publish_item(trt, built.show)

    listed = os.listdir(built.path("Season 01"))
    (nfo,) = [n for n in listed if n.lower().endswith("s01e01.nfo")]
    assert "hevc" not in (built.path("Season 01") / nfo).read_text()  # the .avi's
    assert any(
        "show s01e01.mkv gets no NFO now: show s01e01.nfo is the NFO name of Show S01E01.avi" in n
        for n in result.skipped
    )
    again = publish_item(trt, built.reload())
    assert again.written == [] and again.removed == []


def test_the_users_episode_thumb_and_season_poster_plex_shows_first_are_left_with_a_note(trt):
    """tinyMediaManager names an episode's thumb `<episode>.jpg` (`[filename].*`), an older one a
    season's poster `Season 01/season01.jpg`. Plex's Local Media Assets rank what they find by
    name (`localmedia.findAssets`): `<episode>` before our `<episode>-thumb`, `season01` before
    our `season01-poster`; Jellyfin shows whichever of an episode's two its folder lists first.
    A movie's `<base>.jpg` had its note; an episode's and a season's had none, and the user
    never learnt why Plex kept their old pictures. One holding the very picture chosen (the
    user's own, taken by the scan and copied to our name) is no note."""
    built = build_show(trt)
    pilot = "Season 01/Breaking Bad - S01E01 - Pilot"
    built.path(f"{pilot}.jpg").write_bytes(b"tinyMediaManager's still")
    built.path("Season 01/season01.jpg").write_bytes(b"an old season poster")
    built.path("Season 01/folder.jpg").write_bytes(b"Jellyfin reads ours first")
    second = built.episodes["Season 01/Breaking.Bad.s01.e02.mkv"]
    chosen = db.CacheImageFile.get(db.CacheImageFile.movie == second.id)
    built.path("Season 01/Breaking.Bad.s01.e02.JPG").write_bytes(
        Path(chosen.file_path).read_bytes()
    )
    built.path("Season 1/Breaking Bad S01E04E05.webp").write_bytes(b"no name Plex reads")
    notes = [  # the show's art first, then the episodes'
        "Season 01/season01.jpg is left as it is: Plex shows it as the season 1 poster, before "
        "season01-poster.jpg; remove it to have Plex show the poster chosen here",
        "Breaking Bad - S01E01 - Pilot.jpg is left as it is: Plex shows it as the episode's "
        "thumb, before Breaking Bad - S01E01 - Pilot-thumb.jpg, and Jellyfin may (it shows "
        "whichever of the two its folder lists first); remove it to have them show the thumb "
        "chosen here",
    ]
    jellyfin = (
        "Breaking Bad S01E04E05.webp is left as it is: Jellyfin may show it as the episode's "
        "thumb instead of Breaking Bad S01E04E05-thumb.jpg (it shows whichever of the two its "
        "folder lists first); remove it to have Jellyfin show the thumb chosen here"
    )
    plan = preview_publish(trt, built.show)
    assert [n for n in plan.notes if "Plex" in n] == notes
    assert jellyfin in plan.notes
    left = {a.path for a in plan.actions if a.action == "leave"}
    assert {built.path(f"{pilot}.jpg"), built.path("Season 01/season01.jpg")} <= left
    result = publish_item(trt, built.show)
    assert [n for n in result.skipped if "Plex" in n] == notes
    assert built.path(f"{pilot}.jpg").read_bytes() == b"tinyMediaManager's still"
    assert built.path("Season 01/season01.jpg").read_bytes() == b"an old season poster"


def test_the_preview_lists_the_users_pictures_it_leaves_as_a_movies_does(trt):
    """A movie's preview lists every picture of the user's beside it that the publish leaves
    ("left alone"); a show's listed none, so a user moving from Jellyfin or tinyMediaManager
    could not see which of their season posters, backdrops and stills stay beside ours. Those
    replaced (`Poster.png` beside our `poster.jpg`) are not left, nor our own files."""
    built = build_show(trt)
    theirs = [
        "backdrop.jpg",  # Jellyfin's saved backdrop
        "season-specials-fanart.png",
        "Season 01/folder.jpg",  # Jellyfin's saved season poster
        "Season 1/backdrop.jpg",
        ".actors/Giancarlo_Esposito.jpg",
        "Season 01/Breaking Bad - S01E01 - Pilot.tbn",  # tinyMediaManager's [filename].tbn
        "Season 02/metadata.txt",  # no picture
    ]
    for rel in theirs:
        built.path(rel).parent.mkdir(parents=True, exist_ok=True)
        built.path(rel).write_bytes(b"the user's " + rel.encode())
    built.path("poster.png").write_bytes(b"replaced, after a copy")
    plan = preview_publish(trt, built.show)
    left = {str(a.path.relative_to(built.folder)) for a in plan.actions if a.action == "leave"}
    assert left == set(theirs[:-1])
    assert "poster.png" in {a.path.name for a in plan.actions if a.action == "remove"}
    publish_item(trt, built.show)
    for rel in theirs:
        assert built.path(rel).read_bytes() == b"the user's " + rel.encode()
    again = preview_publish(trt, built.show)
    assert {
        str(a.path.relative_to(built.folder)) for a in again.actions if a.action == "leave"
    } == set(theirs[:-1])


def test_the_preview_lists_no_movie_poster_name_beside_an_episode_as_the_users_art(trt):
    """`<episode>-movie.jpg` is a movie's poster name (Jellyfin's _videoImageFileNames, for a
    Video that is no Episode; Plex's local assets): no player reads it for an episode, so the
    preview does not list it among the user's pictures the publish leaves for the episode, as
    it lists `<episode>-fanart.jpg`."""
    built = build_show(trt)
    pilot = "Season 01/Breaking Bad - S01E01 - Pilot"
    built.path(f"{pilot}-movie.jpg").write_bytes(b"a movie's poster name")
    built.path(f"{pilot}-fanart.jpg").write_bytes(b"the user's still")
    plan = preview_publish(trt, built.show)
    left = {str(a.path.relative_to(built.folder)) for a in plan.actions if a.action == "leave"}
    assert f"{pilot}-fanart.jpg" in left
    assert f"{pilot}-movie.jpg" not in left
