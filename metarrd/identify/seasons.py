"""A show's season items: made when a file is in a season (the scan's, and identify's for a
file named by air date or absolute number, whose season is the episode's it matched), hidden
when none is, brought back with one again, and named by the user's tvshow.nfo
(`<namedseason>`). Below scan, which imports identify: both make them here."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from lxml import etree

from metarrd import db
from metarrd.db import MAX_TEXT
from metarrd.identify.episodes import names_no_season


def season_path(show_path: str, number: int) -> str:
    """The (unique, never a real file) path of a season item."""
    return os.path.join(show_path, f"#season-{number:02d}")


def season_item(
    library: db.Library,
    show: db.Movie,
    number: int,
    known: dict[int, db.Movie] | None = None,
    back: bool = True,
    hide: bool = False,
) -> db.Movie:
    """The show's season item `number`, created when new; `known` (number -> item, the show's
    seasons read once) saves a query per episode. Identify makes those of the files named by
    air date, whose season is the episode's it matched (identify.tv.identify_episodes). `back`:
    a file is in it, which brings back a season hidden for holding none (not its art alone).
    `hide`: no episode file is in it (the user's season art alone): hidden, made so if new."""
    item = known.get(number) if known is not None else None
    if item is None:
        path = season_path(show.path, number)
        item = db.Movie.get_or_none(db.Movie.path == path)
    if item is None:
        item = db.Movie(library=library, path=path, kind=db.SEASON, show=show, season=number,
                        title=_default_season_name(number), missing=hide)  # fmt: skip
        # tvshow.nfo's name of it: its `<namedseason>` stays in `nfo_extra` (after we publish
        # our own tvshow.nfo too, which the scan does not read)
        named = named_seasons(show.nfo_extra or [])
        if number in named:
            offer_season_name(item, named[number])
        item.save()
    elif hide and not item.missing:  # made by its art alone before metarrd hid such seasons
        # (published: what publish wrote for it goes at the next publish, to republish)
        state = db.OUTDATED if item.publish_state == db.PUBLISHED else item.publish_state
        item.missing, item.publish_state, item.updated_at = True, state, db.now()
        db.Movie.update(missing=True, publish_state=state, updated_at=item.updated_at).where(
            db.Movie.id == item.id
        ).execute()
        if state != db.UNPUBLISHED:  # its show too, published as one unit with it (as
            # identify.tv._season_items): its Republish removes what was written for it
            db.Movie.update(publish_state=db.OUTDATED).where(
                db.Movie.id == show.id, db.Movie.publish_state == db.PUBLISHED
            ).execute()
            if show.publish_state == db.PUBLISHED:  # a later save of it keeps that
                show.publish_state = db.OUTDATED
    elif back and item.missing and not show.missing:  # left without files by another episode order
        # (identify.tv._season_items), a file is in it again: back, with what it kept
        item.missing, item.updated_at = False, db.now()
        db.Movie.update(missing=False, updated_at=item.updated_at).where(
            db.Movie.id == item.id
        ).execute()
    if known is not None:
        known[number] = item
    return item


def _default_season_name(number: int) -> str:
    return "Specials" if number == 0 else f"Season {number}"


def name_season(item: db.Movie, name: str, before: str | None = None) -> None:
    """The season's name from tvshow.nfo's `<namedseason>`, unless the user locked its title
    (a title still `before`, the name the NFO gave it last, was locked by that NFO: the NFO's
    new name replaces it). A name of the user's own (not "Season N") is locked, as Jellyfin's
    `<lockedfields>` are: Kodi shows the NFO's season name over any scraper's, and enrich would
    put TMDB's back."""
    if item.is_locked("title") and (before is None or item.title != before):
        return
    item.title = name
    if not names_no_season(name, item.season) and not item.is_locked("title"):
        item.locked_fields = [*(item.locked_fields or []), "title"]


def offer_season_name(item: db.Movie, name: str, before: str | None = None) -> bool:
    """Offer the season `name` from tvshow.nfo (`name_season`: a title the user locked or
    edited stays), once per name: the name offered last is kept in its hints, so a name the
    user turned down (unlocked, renamed) is not forced on it again at the next scan. False when
    that name was offered already."""
    hints = dict(item.hints or {})
    offered = hints.get("namedseason", before)
    if "namedseason" in hints and offered == name:
        return False
    name_season(item, name, offered)
    hints["namedseason"] = name
    item.hints = hints
    return True


def _element(element: str) -> etree._Element | None:
    """One of the NFO's elements nfo_read does not own, as it keeps them (a string), parsed
    again (no entities); None when it does not parse (as scan.tv_nfo's)."""
    try:
        return etree.fromstring(element.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError:
        return None


def named_seasons(elements: Iterable[str]) -> dict[int, str]:
    """The season names of a tvshow.nfo's `<namedseason number="N">Name</namedseason>` (Kodi
    16+; Kodi's export, tinyMediaManager and MediaElch write them), as Kodi's reader takes them:
    a number and a name both needed, the first of a number wins. `elements`: the NFO's
    `unknown_elements` (the show's `nfo_extra`), where they stay: publish writes back a name of
    a season metarrd has no item for."""
    names: dict[int, str] = {}
    for element in elements:
        node = _element(element) if element.startswith("<namedseason") else None
        if node is None:
            continue
        number = re.fullmatch(r"\s*([0-9]{1,9})\s*", node.get("number") or "")
        name = str(node.xpath("string()")).strip()  # itertext is quadratic (nfo_read._text)
        if number and name and len(name) <= MAX_TEXT:
            names.setdefault(int(number.group(1)), name)
    return names
