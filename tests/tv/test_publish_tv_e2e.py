"""The hard-case TV library end to end through the CLI against the simulator: scan + identify,
enrich, publish. The published tree is exactly the kodi-tv.md §7 layout, a second publish
changes no file, the user's files survive (docs/publish.md "Nothing of the user's is lost"), and
the files no player can place are reported with their reason and get no NFO."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from metarrd import db
from metarrd.identify import season_of_folder
from metarrd.publish import preview_publish

from .conftest import EPISODE_NFO_MULTI, EPISODES, HOSTILE_NFO, SHOWS, TVSHOW_NFO_LEGACY

VIDEO = ".mkv"
IMAGE_EXT = {"JPEG": ".jpg", "PNG": ".png"}
BB = "Breaking Bad (2008)"


@pytest.fixture
def published(tv_rt, tv_library, monkeypatch, capsys):
    """The library after `metarrd scan`, `enrich --all` and `publish --all`, with the user's
    files as they were before and each command's output."""
    from metarrd import cli

    tv_rt.http.backoff = 0.05
    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    users = {
        p: p.read_bytes()
        for p in tv_library.rglob("*")
        if p.is_file() and p.suffix in {".nfo", ".jpg", ".png"}
    }
    out = {}
    assert cli.main(["scan"]) == 1  # the unparsable names, each on a line of its own
    out["scan"] = capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    out["enrich"] = capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    out["publish"] = capsys.readouterr()
    return tv_rt, tv_library, users, out


def tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file below `root`: (inode, mtime in ns, bytes)."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_ino, st.st_mtime_ns, p.read_bytes())
    return out


def selected(item: db.Movie) -> dict[str, int]:
    """asset type -> how many candidates are selected for it."""
    out: dict[str, int] = {}
    query = db.ArtworkCandidate.select().where(
        (db.ArtworkCandidate.movie == item.id) & db.ArtworkCandidate.is_selected
    )
    for row in query:
        out[row.asset_type] = out.get(row.asset_type, 0) + 1
    return out


def expected_layout(show: db.Movie) -> tuple[set[str], set[str]]:
    """kodi-tv.md §7 for this show from what enrich selected: (NFO paths, image paths without
    their extension), relative to the show folder."""
    folder = Path(show.path)
    nfos, images = {"tvshow.nfo"}, set()
    for asset_type, count in selected(show).items():
        if asset_type.startswith("season-all-"):
            assert count == 1, asset_type
            images.add(asset_type)
        else:  # rank 1 poster, rank 2 poster1, ...
            images |= {asset_type + (str(n) if n else "") for n in range(count)}
    people = [show]
    for item in db.Movie.select().where(db.Movie.show == show.id):
        if item.kind == db.SEASON:
            prefix = "season-specials" if item.season == 0 else f"season{item.season:02d}"
            for asset_type in selected(item):  # one image per season slot, its rank 1
                images.add(f"{prefix}-{asset_type}")
            continue
        parts = Path(item.path).relative_to(folder).parts
        season = item.episode_numbers()[0]  # a file named by air date: the one matched
        if (
            season is not None
            and len(parts) > 1
            and season_of_folder(parts[0], numeric=True) == season
        ):
            nfos.add(f"{parts[0]}/season.nfo")  # Jellyfin's, in a folder named for its season
        if item.identification_status == db.ENRICHED:
            base = str(Path(item.path).relative_to(folder).with_suffix(""))
            nfos.add(base + ".nfo")
            if selected(item).get("thumb"):
                images.add(base + "-thumb")
            people.append(item)
    actors = db.MovieActor.select().where(db.MovieActor.movie.in_([p.id for p in people]))
    images |= {
        ".actors/" + r.actor.name.replace(" ", "_") for r in actors if r.actor.image_cache_path
    }
    return nfos, images


def test_the_published_tree_is_exactly_the_layout(published):
    rt, root, _users, _out = published
    for folder in SHOWS:
        show = db.Movie.get(db.Movie.path == str(root / folder))
        assert show.identification_status == db.ENRICHED, (folder, show.last_error)
        assert show.publish_state == db.PUBLISHED, folder
        nfos, images = expected_layout(show)
        assert images, folder  # every show has art from the simulator
        files = {
            str(p.relative_to(root / folder))
            for p in (root / folder).rglob("*")
            if p.is_file() and p.suffix != VIDEO
        }
        assert {f for f in files if f.endswith(".nfo")} == nfos, folder
        art = {f for f in files if not f.endswith(".nfo")}
        assert {str(Path(f).with_suffix("")) for f in art} == images, folder
        assert len(art) == len(images), folder  # one file per slot, never two extensions
        for rel in art:  # the extension is the real format
            with Image.open(root / folder / rel) as im:
                assert IMAGE_EXT[im.format] == Path(rel).suffix, (folder, rel)
    assert not any(p.name.startswith(".metarrd-tmp-") and p.suffix != VIDEO
                   for p in root.rglob("*"))  # fmt: skip


def test_a_few_nfos_spot_checked(published):
    _rt, root, _users, _out = published
    who = etree.parse(str(root / "Doctor Who (2005)/tvshow.nfo")).getroot()
    ids = {u.get("type"): (u.text, u.get("default")) for u in who.findall("uniqueid")}
    assert ids["tmdb"] == ("57243", "true") and ids["tvdb"] == ("78804", None)
    assert [t for t, (_i, d) in ids.items() if d] == ["tmdb"]
    # every video file of the show has an NFO: the episode guide is written
    assert who.findtext("episodeguide").startswith('{"tmdb":"57243","tvdb":"78804"')
    assert who.find("thumb") is None  # art is written as files

    bb = etree.parse(str(root / BB / "tvshow.nfo")).getroot()
    assert bb.find("episodeguide") is None  # "Special - Behind the Scenes" gets no NFO
    named = {n.get("number"): n.text for n in bb.findall("namedseason")}
    assert named["0"] == "Specials" and named["1"] == "Season 1"
    naruto = etree.parse(str(root / "Naruto/tvshow.nfo")).getroot()
    assert naruto.find("episodeguide") is None  # its absolute-numbered file gets no NFO
    assert naruto.findtext("uniqueid[@type='tmdb']") == "46260"
    # two shows of one title: each folder its own show
    old = etree.parse(str(root / "Doctor Who (1963)/tvshow.nfo")).getroot()
    assert old.findtext("uniqueid[@type='tmdb']") == "121" and old.findtext("year") == "1963"

    for rel, (season, episodes, aired, problem) in EPISODES.items():
        nfo = (root / rel).with_suffix(".nfo")
        if problem:
            assert not nfo.exists(), rel
            continue
        text = nfo.read_text("utf-8")
        assert text.count("<?xml") == 1, rel
        body = text.split("?>", 1)[1]
        blocks = [
            etree.fromstring((b + "</episodedetails>").encode())
            for b in body.split("</episodedetails>")
            if b.strip()
        ]
        if aired:  # the daily show: the season and episode TMDB gives that air date
            item = db.Movie.get(db.Movie.path == str(root / rel))
            ref = item.episode_refs[0]
            assert [(b.findtext("season"), b.findtext("episode"), b.findtext("aired"))
                    for b in blocks] == [(str(ref["season"]), str(ref["episode"]), aired)], rel  # fmt: skip
            assert ref["season"] == 29
            continue
        numbers = [(int(b.findtext("season")), int(b.findtext("episode"))) for b in blocks]
        assert numbers == [(season, e) for e in episodes], rel  # one block each, name order
        for b in blocks:
            assert b.findtext("title") and b.find("uniqueid[@type='tmdb']").get("default") == (
                "true"
            ), rel


def test_a_second_publish_changes_no_file(published):
    from metarrd import cli

    rt, root, _users, _out = published
    before = tree(root)
    assert cli.main(["publish", "--all"]) == 0
    assert tree(root) == before
    for folder in SHOWS:
        show = db.Movie.get(db.Movie.path == str(root / folder))
        assert not preview_publish(rt, show).changes, folder


def _kept_copy(data_dir: Path, content: bytes) -> Path | None:
    digest = hashlib.sha256(content).hexdigest()
    return next((p for p in data_dir.rglob(f"{digest}.*") if p.read_bytes() == content), None)


def test_the_users_files_survive(published):
    rt, root, users, _out = published
    data = Path(rt.config.data_dir)
    assert users[root / "My Chemistry Show/tvshow.nfo"] == TVSHOW_NFO_LEGACY.encode()
    assert users[root / BB / "Season 1/Breaking Bad S01E04E05.nfo"] == EPISODE_NFO_MULTI.encode()
    assert users[root / "Doctor Who (1963)/tvshow.nfo"] == HOSTILE_NFO.encode()
    assert len(users) == 6  # three NFOs of other tools, the user's poster, season and episode art
    # <data_dir>/backup on SQLite; with a shared cache (PostgreSQL) the cache's backup/
    backup, images = rt.config.backup_dir, rt.config.cache_dir
    for path, content in users.items():
        if path.read_bytes() == content:
            continue  # left as it was (it was the wanted file)
        copy = _kept_copy(data, content)
        assert copy is not None, f"{path} replaced without a copy"
        if path.suffix == ".nfo":
            assert copy.is_relative_to(backup), copy
        else:  # a real image: kept in the cache by its format, not as a backup's raw bytes
            assert copy.is_relative_to(images) and not copy.is_relative_to(backup), copy


def test_files_no_player_can_place_are_reported_with_their_reason(published):
    rt, root, _users, out = published
    assert "absolute episode number" in out["scan"].err
    assert "no season and episode numbers" in out["scan"].err
    for folder, name in ((BB, "Behind the Scenes.mkv"), ("Naruto", "Enter Naruto Uzumaki.mkv")):
        show = db.Movie.get(db.Movie.path == str(root / folder))
        notes = preview_publish(rt, show).notes
        assert any(name in n and "gets no NFO" in n for n in notes), (folder, notes)
        assert any("without episodeguide" in n for n in notes), (folder, notes)


def test_specials_are_placed_among_the_regular_episodes(tv_rt, tmp_path, monkeypatch, capsys):
    """A special (S00) gets TheTVDB's `airsBeforeSeason`/`airsBeforeEpisode` as Kodi's
    `<displayseason>`/`<displayepisode>` (Jellyfin reads the same names; Sonarr's Kodi metadata
    writes them so): without them both players list every special only in "Specials", never
    where it aired. A regular episode gets none."""
    from metarrd import cli

    from .conftest import put

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    show = tmp_path / "tv" / BB
    put(show.parent, f"{BB}/Specials/Breaking Bad - S00E01 - Good Cop.mkv")
    put(show.parent, f"{BB}/Season 01/Breaking Bad - S01E01 - Pilot.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    special = etree.parse(str(show / "Specials/Breaking Bad - S00E01 - Good Cop.nfo")).getroot()
    # the simulator's TheTVDB places every special before S01E01 (tv_others.episode_record)
    assert special.findtext("season") == "0" and special.findtext("episode") == "1"
    assert special.findtext("displayseason") == "1" and special.findtext("displayepisode") == "1"
    assert special.find("displayafterseason") is None
    pilot = etree.parse(str(show / "Season 01/Breaking Bad - S01E01 - Pilot.nfo")).getroot()
    assert pilot.find("displayseason") is None and pilot.find("displayepisode") is None


def test_an_episode_below_its_season_folder_gets_its_nfo_and_thumb_beside_it(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """`Season 02/Disc 2/Breaking Bad - E07.mkv` (a disc's folder in the season folder) was
    S01E07 and got season 1's "A No-Rough-Stuff-Type Deal" in its NFO. It is S02E07 by the
    season folder above it, and its NFO and thumb are written beside the file, where Kodi and
    Jellyfin read them; no season folder's file is written into the disc's folder."""
    from metarrd import cli

    from .conftest import put

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    show = tmp_path / "tv" / BB
    rel = "Season 02/Disc 2/Breaking Bad - E07.mkv"
    put(show.parent, f"{BB}/{rel}")
    put(show.parent, f"{BB}/Season 02/Breaking Bad - S02E01.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    nfo = etree.parse(str((show / rel).with_suffix(".nfo"))).getroot()
    assert (nfo.findtext("season"), nfo.findtext("episode")) == ("2", "7")
    assert nfo.findtext("title") == "Negro Y Azul"
    disc = {p.name for p in (show / "Season 02/Disc 2").iterdir()}
    assert disc == {
        "Breaking Bad - E07.mkv",
        "Breaking Bad - E07.nfo",
        "Breaking Bad - E07-thumb.jpg",
    }


def test_an_episodes_production_code_is_written_as_kodi_reads_it(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """Kodi reads an episode block's `<code>` as its production code (kodi-tv.md 2.4,
    VideoInfoTag's m_strProductionCode; Kodi's own export writes it). TMDB gives it as the
    episode's `production_code` (Futurama's "Space Pilot 3000" is 1ACV01), and we wrote none:
    each block of a file of two now has its own. An episode TMDB has none of keeps the one of
    the user's NFO (MediaElch writes `<code>`), once."""
    from metarrd import cli

    from .conftest import put

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    show = tmp_path / "tv" / "Futurama (1999)"
    double = put(show.parent, "Futurama (1999)/Season 01/Futurama - S01E01E02.mkv")
    single = put(show.parent, "Futurama (1999)/Season 02/Futurama - S02E01.mkv")
    single.with_suffix(".nfo").write_text(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<episodedetails>'
        "<title>I Second That Emotion</title><season>2</season><episode>1</episode>"
        "<code>2ACV01</code></episodedetails>\n"
    )
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    text = double.with_suffix(".nfo").read_bytes().split(b"?>", 1)[1]
    blocks = etree.fromstring(b"<r>" + text + b"</r>")
    assert [b.findtext("code") for b in blocks] == ["1ACV01", "1ACV02"]
    assert [el.tag for el in blocks[0]].index("code") + 1 == [el.tag for el in blocks[0]].index(
        "aired"
    )  # where Kodi's export puts it
    users = etree.parse(str(single.with_suffix(".nfo"))).getroot()
    assert [el.text for el in users.iter("code")] == ["2ACV01"]


def _naruto_published_in_tmdbs_order(tv_rt, tmp_path):
    """Naruto's 2002-11-14 episode (S01E07 in TMDB's order, S02E01 in TheTVDB's) scanned,
    identified, enriched and published whole: its folder and its show."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.publish import publish_item

    from .conftest import put
    from .test_identify_tv import _scan_and_identify

    folder = tmp_path / "tv/Naruto"
    put(tmp_path / "tv", "Naruto/Naruto - 2002-11-14 - The Assassin of the Mist.mkv")
    _scan_and_identify(tv_rt)
    show = db.Movie.get(db.Movie.path == str(folder))
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))
    return folder, show


def test_a_file_named_by_air_date_published_alone_brings_its_new_seasons_art(tv_rt, tmp_path):
    """Naruto's 2002-11-14 episode is TMDB's S01E07 and TheTVDB's S02E01. Published in TMDB's
    order, then switched to TheTVDB's and enriched, the episode published alone (its page's
    Publish, the show published before) gets the art of its season 2, never published, as a
    numbered file's new season does (`publish.tv._scope`), and Season 1's, which holds no
    file now, goes. The file has no season of its name: its season is the episode's it
    matched, and its season 2 art was left out until the whole show was published."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.identify.tv import identify_episodes, set_episode_order
    from metarrd.publish import publish_item

    folder, show = _naruto_published_in_tmdbs_order(tv_rt, tmp_path)
    assert (folder / "season01-poster.jpg").is_file()
    set_episode_order(db.Movie.get_by_id(show.id), "tvdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    (episode,) = db.Movie.select().where(db.Movie.show == show.id, db.Movie.kind == db.EPISODE)
    assert episode.season is None and episode.episode_numbers() == (2, [1])

    publish_item(tv_rt, episode)
    names = {p.name for p in folder.iterdir()}
    assert "season02-poster.jpg" in names
    assert not {n for n in names if n.startswith("season01-")}
    season = db.Movie.get(db.Movie.show == show.id, db.Movie.season == 2)
    assert season.publish_state == db.PUBLISHED


def test_a_season_hidden_by_a_new_episode_order_is_not_called_published(tv_rt, tmp_path):
    """Naruto published in TMDB's order (its 2002-11-14 episode S01E07), then switched to
    TheTVDB's (S02E01): Season 1 holds no file and is hidden, and it stayed "published" for
    good, though the next publish removes what it wrote for it. Hidden, it is to republish
    (its files are still there, to go), as its show is; once published, it is unpublished:
    nothing of it is in the library. The show, published again whole or through its episode
    alone, is "published", as `list --json` says."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.identify.tv import identify_episodes, set_episode_order
    from metarrd.publish import publish_item

    folder, show = _naruto_published_in_tmdbs_order(tv_rt, tmp_path)
    first = db.Movie.get(db.Movie.show == show.id, db.Movie.season == 1)
    assert first.publish_state == db.PUBLISHED and (folder / "season01-poster.jpg").is_file()

    set_episode_order(db.Movie.get_by_id(show.id), "tvdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    first = db.Movie.get_by_id(first.id)
    assert first.missing and first.publish_state == db.OUTDATED
    assert db.Movie.get_by_id(show.id).publish_state == db.OUTDATED

    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    (episode,) = db.Movie.select().where(db.Movie.show == show.id, db.Movie.kind == db.EPISODE)
    publish_item(tv_rt, episode)  # the episode's page's Publish: the season's files go
    assert not (folder / "season01-poster.jpg").exists()
    assert db.Movie.get_by_id(first.id).publish_state == db.UNPUBLISHED
    publish_item(tv_rt, db.Movie.get_by_id(show.id))
    assert db.Movie.get_by_id(first.id).publish_state == db.UNPUBLISHED
    unit = db.Movie.select().where((db.Movie.id == show.id) | (db.Movie.show == show.id))
    states = {(m.kind, m.season): m.publish_state for m in unit}
    assert states == {
        ("show", None): db.PUBLISHED,
        ("season", 1): db.UNPUBLISHED,
        ("season", 2): db.PUBLISHED,
        ("episode", None): db.PUBLISHED,
    }
    listed = [m.as_list_entry() for m in unit if m.kind in db.LISTED_KINDS]  # `list --json`'s
    assert sorted((e["kind"], e["publish_state"]) for e in listed) == [
        ("episode", "published"),
        ("show", "published"),
    ]


def test_a_hidden_season_with_nothing_left_of_it_is_not_called_published_again(tv_rt, tmp_path):
    """Naruto published in TMDB's order, then in TheTVDB's: Season 1 is hidden and what
    publish wrote for it is gone. Left "Updated – Republish?" with its show (a publish of an
    older metarrd removed its files and kept its state), the check that the library files are
    already as a publish would write them (`settle_unit`, after every enrich and edit) passes:
    the show is "Published" again, but its hidden season was called "Published" too, for
    files that are not there. It is unpublished, as a publish leaves it."""
    from metarrd.enrich.tv import enrich_show
    from metarrd.identify.tv import identify_episodes, set_episode_order
    from metarrd.publish import publish_item, settle_unit

    folder, show = _naruto_published_in_tmdbs_order(tv_rt, tmp_path)
    set_episode_order(db.Movie.get_by_id(show.id), "tvdb")
    identify_episodes(tv_rt, db.Movie.get_by_id(show.id))
    enrich_show(tv_rt, db.Movie.get_by_id(show.id))
    publish_item(tv_rt, db.Movie.get_by_id(show.id))
    first = db.Movie.get(db.Movie.show == show.id, db.Movie.season == 1)
    assert first.missing and not list(folder.glob("season01-*"))
    db.Movie.update(publish_state=db.OUTDATED).where(
        (db.Movie.id == show.id) | (db.Movie.id == first.id)
    ).execute()

    assert settle_unit(tv_rt, show.id)
    assert db.Movie.get_by_id(show.id).publish_state == db.PUBLISHED
    assert db.Movie.get_by_id(first.id).publish_state == db.UNPUBLISHED
    second = db.Movie.get(db.Movie.show == show.id, db.Movie.season == 2)
    assert second.publish_state == db.PUBLISHED
