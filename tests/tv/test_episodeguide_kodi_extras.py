"""`episodeguide` only when every video file Kodi reads as an episode gets an NFO (kodi-tv.md
§7, measured with a real Kodi 20.1 with local information only: one such file without an NFO
and Kodi drops every episode of the show).

Kodi's TV scan leaves out only `sample` names (xbmc/xbmc `AdvancedSettings.cpp`,
`m_tvshowExcludeFromScanRegExps` = `[!-._ \\/]sample[-._ \\/]`): an extra named the way
Jellyfin names episode extras (`<episode>-deleted`, `-trailer`, `-featurette`; Jellyfin
`Emby.Naming/Common/NamingOptions.cs` `VideoExtraRules`), or one kept in an `Extras/` folder
with the episode's numbers, is read by Kodi as that episode, and gets no NFO of ours, since
metarrd takes it for an extra, not an episode. With `episodeguide` in `tvshow.nfo`, Kodi
fetches the guide for it, fails, and the whole show is gone."""

from __future__ import annotations

import os

from lxml import etree

from metarrd import db
from metarrd.publish import preview_publish

from .conftest import put

WHO = "Doctor Who (2005)"


def _publish(tv_rt, monkeypatch, capsys) -> None:
    from metarrd import cli

    monkeypatch.setattr(cli, "load_config", lambda _path: tv_rt.config)
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert cli.main(["enrich", "--all"]) == 0, capsys.readouterr()
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()


def test_an_extra_kodi_reads_as_an_episode_keeps_episodeguide_out(
    tv_rt, tmp_path, monkeypatch, capsys
):
    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose-deleted.mkv")
    put(show.parent, f"{WHO}/Extras/Doctor Who - S01E02 - The End of the World - Cut.mkv")
    _publish(tv_rt, monkeypatch, capsys)
    assert (show / "Season 01/Doctor Who - S01E01 - Rose.nfo").is_file()
    assert not (show / "Season 01/Doctor Who - S01E01 - Rose-deleted.nfo").exists()
    root = etree.parse(str(show / "tvshow.nfo")).getroot()
    assert root.findtext("uniqueid[@type='tmdb']") == "57243"
    assert root.find("episodeguide") is None
    item = db.Movie.get(db.Movie.path == str(show))
    notes = preview_publish(tv_rt, item).notes
    assert any("without episodeguide" in n for n in notes), notes
    assert any("Rose-deleted.mkv" in n and "Kodi reads" in n for n in notes), notes
    assert any("The End of the World - Cut.mkv" in n for n in notes), notes


def test_a_sample_or_an_extra_without_numbers_leaves_episodeguide_in(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """Kodi leaves a sample out of its scan, and adds no episode for a name none of its rules
    reads (`Extras/Making of.mkv`: "Could not enumerate file"): the guide stays."""
    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - sample.mkv")
    put(show.parent, f"{WHO}/Extras/Making of.mkv")
    _publish(tv_rt, monkeypatch, capsys)
    root = etree.parse(str(show / "tvshow.nfo")).getroot()
    assert root.findtext("episodeguide") == '{"tmdb":"57243","tvdb":"78804","imdb":"tt0436992"}'


def test_a_disc_structure_kodi_reads_as_an_episode_keeps_episodeguide_out(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """A DVD rip kept as its structure in a folder named for the episode (MakeMKV/DVDFab
    backups: `Show.S01E02/VIDEO_TS/`): Kodi lists it as S01E02 by that folder's name
    (VideoInfoScanner EnumerateEpisodeItem reads an optical item's folder), metarrd tags no
    disc, so it has no NFO: no episodeguide either."""
    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    dvd = show / "Season 01/Doctor.Who.S01E02.DVD/VIDEO_TS"
    dvd.mkdir(parents=True)
    (dvd / "VIDEO_TS.IFO").write_bytes(b"DVDVIDEO-VMG" + bytes(500))
    (dvd / "VTS_01_1.VOB").write_bytes(bytes(2048))
    _publish(tv_rt, monkeypatch, capsys)
    root = etree.parse(str(show / "tvshow.nfo")).getroot()
    assert root.find("episodeguide") is None
    item = db.Movie.get(db.Movie.path == str(show))
    notes = preview_publish(tv_rt, item).notes
    assert any("Doctor.Who.S01E02.DVD/VIDEO_TS" in n for n in notes), notes


def _state(show) -> str:
    return db.Movie.get(db.Movie.path == str(show)).publish_state


def test_an_extra_kodi_reads_added_after_the_publish_makes_the_show_republish(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """Jellyfin's episode-extra naming (`<episode>-deleted`, Emby.Naming `VideoExtraRules`)
    copied into a published show: the rescan marks the show "Republish?", saying why, and the
    publish then leaves episodeguide out. A sample or a name no Kodi rule reads does not."""
    from metarrd import cli

    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    _publish(tv_rt, monkeypatch, capsys)
    assert etree.parse(str(show / "tvshow.nfo")).getroot().find("episodeguide") is not None
    assert _state(show) == db.PUBLISHED
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - sample.mkv")
    put(show.parent, f"{WHO}/Extras/Making of.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert _state(show) == db.PUBLISHED
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose-deleted.mkv")
    assert cli.main(["scan"]) == 0, capsys.readouterr()
    assert _state(show) == db.OUTDATED
    item = db.Movie.get(db.Movie.path == str(show))
    warned = [e.message for e in db.Event.select().where(db.Event.movie == item.id)]
    assert any("Rose-deleted.mkv" in m and "episodeguide" in m for m in warned), warned
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    assert etree.parse(str(show / "tvshow.nfo")).getroot().find("episodeguide") is None
    assert _state(show) == db.PUBLISHED
    assert cli.main(["scan"]) == 0, capsys.readouterr()  # there at the publish: stays published
    assert _state(show) == db.PUBLISHED


def test_an_avchd_structure_kodi_reads_as_an_episode_is_named_by_its_folder(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """An AVCHD disc (what a Panasonic DIGA recorder burns a broadcast to, or a camcorder's
    `PRIVATE/AVCHD/BDMV/` copied without its BDMV folder): `INDEX.BDM`, `MOVIEOBJ.BDM`,
    `PLAYLIST/00000.MPL`, `CLIPINF/00000.CPI`, `STREAM/00000.MTS`. Kodi's TV scan lists
    `INDEX.BDM` (`.bdm` is among its video extensions, AdvancedSettings.cpp) and reads it as an
    optical item (VideoFileItemClassify IsBDFile: `INDEX.BDM`) by the folder holding it
    (EnumerateEpisodeItem, GetLocalMetadataPath): S01E02 here, as for an `index.bdmv`. The
    publish note named only the stream clip `STREAM/00000.MTS`, never the disc folder Kodi
    lists as S01E02, as the movie walk's Blu-ray indexes (`walk.BLURAY_INDEXES`) have it."""
    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    disc = show / "Season 01/Doctor.Who.S01E02.AVCHD"
    for rel, data in {
        "INDEX.BDM": b"INDX0100" + bytes(56),
        "MOVIEOBJ.BDM": b"MOBJ0100" + bytes(56),
        "PLAYLIST/00000.MPL": b"MPLS0100" + bytes(56),
        "CLIPINF/00000.CPI": b"HDMV0100" + bytes(56),
        "STREAM/00000.MTS": (bytes(4) + b"\x47" + bytes(187)) * 4,
    }.items():
        (disc / rel).parent.mkdir(parents=True, exist_ok=True)
        (disc / rel).write_bytes(data)
    _publish(tv_rt, monkeypatch, capsys)
    root = etree.parse(str(show / "tvshow.nfo")).getroot()
    assert root.find("episodeguide") is None
    item = db.Movie.get(db.Movie.path == str(show))
    notes = preview_publish(tv_rt, item).notes
    assert any(n.startswith("Season 01/Doctor.Who.S01E02.AVCHD: Kodi reads") for n in notes), notes


def test_an_episode_named_in_latin1_spoils_neither_the_shows_scan_nor_its_publish(
    tv_rt, tmp_path, monkeypatch, capsys
):
    """An episode file whose name is Latin-1, not UTF-8 (copied from an old Samba share): the
    scan cannot store it and says so, and Kodi still reads it as S01E02 with no NFO of ours.
    Its name went into the show's "Republish?" event as a lone surrogate, whose insert failed
    the whole show's scan ("the show could not be scanned (UnicodeEncodeError…)"), and into
    the publish's note ("internal error: UnicodeEncodeError"): the show was never published
    again."""
    from metarrd import cli

    show = tmp_path / "tv" / WHO
    put(show.parent, f"{WHO}/Season 01/Doctor Who - S01E01 - Rose.mkv")
    _publish(tv_rt, monkeypatch, capsys)
    latin1 = (
        os.fsencode(show / "Season 01")
        + b"/Doctor Who - S01E02 - Das Ende der Welt (\xdcbersetzung).mkv"
    )
    with open(latin1, "wb") as f:
        f.write((show / "Season 01/Doctor Who - S01E01 - Rose.mkv").read_bytes())
    assert cli.main(["scan"]) == 1  # the one file it cannot store
    err = capsys.readouterr().err
    assert "not valid UTF-8" in err and "could not be scanned" not in err, err
    assert _state(show) == db.OUTDATED
    item = db.Movie.get(db.Movie.path == str(show))
    warned = [e.message for e in db.Event.select().where(db.Event.movie == item.id)]
    shown = "Season 01/Doctor Who - S01E02 - Das Ende der Welt (\\xdcbersetzung).mkv"
    assert any(m.startswith(shown) and "not UTF-8" in m for m in warned), warned
    assert cli.main(["publish", "--all"]) == 0, capsys.readouterr()
    assert etree.parse(str(show / "tvshow.nfo")).getroot().find("episodeguide") is None
    assert _state(show) == db.PUBLISHED
    notes = preview_publish(tv_rt, item).notes
    note = f"{shown}: Kodi reads it as an episode, and it is no episode of metarrd's (its name "
    assert any(n.startswith(note + "is not UTF-8, so metarrd cannot store it)") for n in notes)
