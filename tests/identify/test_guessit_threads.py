"""guessit keeps one parser whose options are the last call's (GuessItApi.configure, then
`self.effective_options` read back): two threads reading names with different options at once
read each other's. metarrd reads every name through `metarrd.identify.guess`, one at a time."""

from __future__ import annotations

import threading
import time

import guessit.api

from metarrd.identify import names, parse_episode, parse_hints

EPISODE = "Show.Name.S02E05.Episode.Title.720p.HDTV.x264-GRP.mkv"
MOVIE = "The.Matrix.1999.1080p.BluRay.x264-GRP.mkv"


def test_a_movie_and_an_episode_read_at_once_each_keep_their_own_options(monkeypatch):
    """An episode's name read while a movie's is configured (the window widened by a pause
    after configure, where another thread may come in): it keeps its numbers, the movie its
    year."""
    alone = (parse_episode(EPISODE, "Show Name"), parse_hints(MOVIE))
    api = guessit.api.default_api
    real = api.configure
    paused = threading.Event()

    def slow_configure(*args, **kwargs):
        config = real(*args, **kwargs)
        if not paused.is_set():  # the first caller waits here, the other may run meanwhile
            paused.set()
            time.sleep(0.3)
        return config

    monkeypatch.setattr(api, "configure", slow_configure)
    names._guess.cache_clear()  # the movie's name is read by guessit again, not remembered
    got: dict[str, object] = {}
    episode = threading.Thread(target=lambda: got.update(e=parse_episode(EPISODE, "Show Name")))
    episode.start()
    assert paused.wait(5)
    got["m"] = parse_hints(MOVIE)
    episode.join()
    assert (got["e"], got["m"]) == alone
    assert got["e"].episode_title == "Episode Title"  # not the movie's "alternative title"
