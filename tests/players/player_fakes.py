"""Loopback stand-ins for Kodi (JSON-RPC over HTTP), Jellyfin and Plex.

They are strict where real servers are and where mistakes hide: Kodi checks basic auth, the
JSON-RPC envelope, method names and parameter names in its own spelling (lower-case up to v13,
camelCase when `camel=True`), the Scan directory's trailing slash, and records a violation when a
Scan arrives while a scan runs (the real one would stop it). Jellyfin accepts only the
`MediaBrowser Token="..."` header. Plex wants `X-Plex-Token` and answers JSON only when asked.
Every request is recorded for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import ssl
import string
import threading
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# a self-signed certificate for 127.0.0.1 and localhost (CN jellyfin.local), valid to 2126, as
# a player's own HTTPS has (Jellyfin's Networking > HTTPS with a certificate made with openssl)
SELF_SIGNED = Path(__file__).resolve().parent / "tls" / "selfsigned.pem"
# one for another name only, as a Plex Media Server's (`*.<hash>.plex.direct`, which Plex has
# signed by a public CA; here self-signed, so a test trusts it with ca_file)
PLEX_DIRECT = SELF_SIGNED.with_name("plexdirect.pem")
# a home network's private CA, as mkcert makes one (`mkcert -install` writes rootCA.pem), and a
# certificate it signed for 127.0.0.1 and localhost (`mkcert 127.0.0.1 localhost`): a player's
# ca_file is then the CA's, which signs every other host of that network as well
HOME_CA = SELF_SIGNED.with_name("homeca.pem")
HOME_LAN = SELF_SIGNED.with_name("homelan.pem")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 that hands each request to `self.handle`."""

    def __init__(self, port: int = 0):
        self.tls = False  # `serve_https()`: HTTPS with the self-signed certificate
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.hang = threading.Event()  # set: accept requests but never answer
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def _do(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                req = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server.lock:
                    server.requests.append(req)
                if server.hang.is_set():
                    server._release.wait(30)
                    return
                status, headers, payload = server.handle(req)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                if status == 204:
                    data = b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Type" not in headers and data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _do

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def serve_https(self, cert: Path = SELF_SIGNED):
        """Answer HTTPS only, with this certificate (`SELF_SIGNED`, `PLEX_DIRECT`)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, cert.with_suffix(".key"))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.tls = True
        return self

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, req: Request) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError


HTML_404 = (404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>")
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
UNAUTHORIZED = (401, {"WWW-Authenticate": 'Basic realm="Kodi"', "Content-Type": "text/html"}, b"")


# --- Kodi ---------------------------------------------------------------------------------------

EPISODE_FIELDS = dict.fromkeys(
    ["title", "playcount", "runtime", "director", "plot", "rating", "votes", "lastplayed",
     "writer", "firstaired", "productioncode", "season", "episode", "originaltitle",
     "thumbnail", "fanart", "art", "resume", "userrating", "ratings", "dateadded", "uniqueid"],
    False,
)  # fmt: skip
MOVIE_FIELDS = dict.fromkeys(
    ["title", "playcount", "plot", "lastplayed", "tag", "art", "resume", "userrating",
     "ratings", "dateadded", "uniqueid"],
    False,
)  # fmt: skip
SHOW_FIELDS = dict.fromkeys(
    ["title", "playcount", "plot", "lastplayed", "tag", "art", "userrating", "ratings",
     "dateadded", "uniqueid"],
    False,
)  # fmt: skip
LOWER_PARAMS = {
    "VideoLibrary.RefreshMovie": {"movieid": True, "ignorenfo": False, "title": False},
    "VideoLibrary.RefreshTVShow": {
        "tvshowid": True,
        "ignorenfo": False,
        "refreshepisodes": False,
        "title": False,
    },
    "VideoLibrary.Scan": {"directory": False, "showdialogs": False},
    "VideoLibrary.GetEpisodes": {"tvshowid": False, "season": False, "properties": False},
    "VideoLibrary.RemoveTVShow": {"tvshowid": True},
    "VideoLibrary.RemoveMovie": {"movieid": True},
    # Kodi 20.1's own list (JSONRPC.Introspect of VideoLibrary.SetMovieDetails), in part
    "VideoLibrary.SetMovieDetails": {"movieid": True, **MOVIE_FIELDS},
    # Kodi 20.1's own list (JSONRPC.Introspect of VideoLibrary.SetEpisodeDetails)
    "VideoLibrary.SetEpisodeDetails": {"episodeid": True, **EPISODE_FIELDS},
    # Kodi's methods.json (VideoLibrary.SetTVShowDetails / GetTVShowDetails), in part
    "VideoLibrary.SetTVShowDetails": {"tvshowid": True, **SHOW_FIELDS},
    "VideoLibrary.GetTVShowDetails": {"tvshowid": True, "properties": False},
}
CAMEL_PARAMS = {
    "VideoLibrary.RefreshMovie": {"movieId": True, "ignoreNfo": False, "title": False},
    "VideoLibrary.RefreshTVShow": {
        "tvshowId": True,
        "ignoreNfo": False,
        "refreshEpisodes": False,
        "title": False,
    },
    "VideoLibrary.Scan": {"directory": False, "showDialogs": False},
    "VideoLibrary.GetEpisodes": {"tvshowId": False, "season": False, "properties": False},
    "VideoLibrary.RemoveTVShow": {"tvshowId": True},
    "VideoLibrary.RemoveMovie": {"movieId": True},
    "VideoLibrary.SetMovieDetails": {"movieId": True, **MOVIE_FIELDS},
    "VideoLibrary.SetEpisodeDetails": {"episodeId": True, **EPISODE_FIELDS},
    "VideoLibrary.SetTVShowDetails": {"tvshowId": True, **SHOW_FIELDS},
    "VideoLibrary.GetTVShowDetails": {"tvshowId": True, "properties": False},
}


class FakeKodi(FakeServer):
    def __init__(
        self,
        *,
        username: str = "kodi",
        password: str = "secret",
        version: tuple[int, int, int] = (13, 0, 0),
        camel: bool = False,
        sources: list[str] | None = None,
        movies: dict[int, str] | None = None,
        shows: dict[int, tuple[str, dict[str, str]]] | None = None,
        episodes: dict[int, dict[str, Any]] | None = None,
        textures: dict[int, str] | None = None,
        movie_details: dict[int, dict[str, Any]] | None = None,
        nfo_details: dict[int, dict[str, Any]] | None = None,
        show_details: dict[int, dict[str, Any]] | None = None,
        show_nfo_details: dict[int, dict[str, Any]] | None = None,
        tag_names: list[str] | None = None,
        busy_polls: int = 0,
        scan_polls: int = 1,
        port: int = 0,
    ):
        super().__init__(port)
        self.username, self.password = username, password
        self.version, self.camel = version, camel
        self.sources = sources if sources is not None else []
        self.movies = dict(movies or {})  # movieid -> file
        self.shows = dict(shows or {})  # tvshowid -> (show folder with "/", uniqueid)
        # episodeid -> its details as GetEpisodes gives them, with "tvshowid"
        self.episodes = {k: dict(v) for k, v in (episodes or {}).items()}
        # the texture cache: textureid -> url (what Kodi shows for that image until removed)
        self.textures = dict(textures or {})
        # movieid -> {"art": {type: "image://<encoded path>/"}, "cast": [{..., "thumbnail"}],
        # and what GetMovies gives besides the file: uniqueid, playcount, resume, tag ...}
        self.movie_details = {k: dict(v) for k, v in (movie_details or {}).items()}
        # movieid -> what a refresh takes from its NFO: the user rating always
        # (CVideoDatabase::SetDetailsForMovie); a play count and last played time only with
        # advancedsettings' <importwatchedstate> (off by default: then leave them out here)
        self.nfo_details = {k: dict(v) for k, v in (nfo_details or {}).items()}
        # tvshowid -> what the user set on the show (userrating, tag) or its NFO gave it
        self.show_details = {k: dict(v) for k, v in (show_details or {}).items()}
        # tvshowid -> what a RefreshTVShow takes from its tvshow.nfo: the tags, added to the
        # show's (CVideoDatabase::UpdateDetailsForTvShow: AddLinksToItem "tag", while
        # DeleteDetailsForTvShow leaves the tag links)
        self.show_nfo_details = {k: dict(v) for k, v in (show_nfo_details or {}).items()}
        # Kodi's `tag` table (`tag_names`: the names it has, in the order stored): a tag is
        # looked up by `SELECT tag_id FROM tag WHERE name LIKE '<name>'` and that row linked
        # (CVideoDatabase::AddToTable, used by AddTag and AddLinksToItem; SQLite's LIKE folds
        # ASCII letter case), so "Time Travel" and "time travel" are one tag, listed in the
        # spelling stored first
        self.tag_names: dict[str, str] = {}
        self.kodi_tags(tag_names or [])
        for details in [*self.movie_details.values(), *self.show_details.values()]:
            if "tag" in details:
                details["tag"] = self.kodi_tags(details["tag"])
        self.on_scan: Any = None  # called with the directory of each Scan (what it adds)
        # a Kodi slow to re-add a refreshed movie (a big library on a slow NAS): with
        # `slow_refresh`, a refreshed movie is missing from GetMovies (`readding`) until a test
        # takes it out of there
        self.slow_refresh = False
        self.readding: set[int] = set()
        # a Kodi whose refresh job has not run yet (CVideoLibraryQueue runs the refreshes one
        # after another): with `queued_refresh`, a RefreshMovie changes nothing until a test
        # runs it (`run_queued`), or never (Kodi quit before it ran it); a RefreshTVShow the
        # same (`queued_shows`)
        self.queued_refresh = False
        self.queued: list[int] = []
        self.queued_shows: list[int] = []
        # a Kodi whose refresh job is seen half done (a loaded machine): with `staged_refresh`
        # = n, a RefreshMovie re-adds the movie row at once (its rating and tags the NFO's)
        # and resets the file's play count and last played time (the `files` row) only as
        # the n-th request after it ends: the CI failure of stop 44's real-Kodi test, where a
        # play count given back between the two was reset again, the rating kept
        self.staged_refresh = 0
        self.staged: dict[int, int] = {}
        self.busy_polls = busy_polls  # IsScanningVideo answers true this many more times
        self.scan_polls = scan_polls  # after our Scan, it scans for this many polls
        self.calls: list[tuple[str, Any]] = []
        self.violations: list[str] = []
        self.jsonrpc_enabled = True

    # what the tests look at
    def called(self, method: str) -> list[Any]:
        return [params for m, params in self.calls if m == method]

    @property
    def scans(self) -> list[str]:
        return [p["directory"] for p in self.called("VideoLibrary.Scan")]

    def handle(self, req: Request):
        if req.path != "/jsonrpc" or not self.jsonrpc_enabled:
            return HTML_404
        expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if req.headers.get("authorization") != f"Basic {expected}":
            return UNAUTHORIZED
        if req.method != "POST":
            return 405, {}, b""
        if req.headers.get("content-type", "").split(";")[0] != "application/json":
            return 415, {}, b""
        body = req.body
        if not isinstance(body, dict) or body.get("jsonrpc") != "2.0" or "id" not in body:
            return 200, {}, self._error(None, -32600, "Invalid request.")
        method, params = body.get("method"), body.get("params", {})
        with self.lock:
            self.calls.append((method, params))
        handler = getattr(self, "rpc_" + str(method).replace(".", "_"), None)
        if handler is None:
            return 200, {}, self._error(body["id"], -32601, "Method not found.")
        try:
            result = handler(params if params is not None else {})
        except ValueError as exc:
            return 200, {}, self._error(body["id"], -32602, f"Invalid params. {exc}")
        finally:
            self._end_of_request()
        return 200, {}, {"id": body["id"], "jsonrpc": "2.0", "result": result}

    def _end_of_request(self) -> None:
        """The second half of a `staged_refresh` whose turn has come: the file's play count
        and last played time go back to the NFO's."""
        for movieid, left in list(self.staged.items()):
            if left > 1:
                self.staged[movieid] = left - 1
                continue
            del self.staged[movieid]
            self._reread(movieid, ("playcount", "lastplayed"))

    @staticmethod
    def _error(req_id, code, message):
        return {"id": req_id, "jsonrpc": "2.0", "error": {"code": code, "message": message}}

    def _check(self, method: str, params: dict) -> None:
        schema = (CAMEL_PARAMS if self.camel else LOWER_PARAMS)[method]
        for name in params:
            if name not in schema:
                raise ValueError(f"unknown parameter {name!r}")
        for name, required in schema.items():
            if required and name not in params:
                raise ValueError(f"missing {name!r}")

    def rpc_JSONRPC_Version(self, params):
        major, minor, patch = self.version
        return {"version": {"major": major, "minor": minor, "patch": patch}}

    def rpc_JSONRPC_Introspect(self, params):
        wanted = (params.get("filter") or {}).get("id")
        schema = CAMEL_PARAMS if self.camel else LOWER_PARAMS
        methods = {
            name: {"params": [{"name": p} for p in ps], "type": "method"}
            for name, ps in schema.items()
            if wanted in (None, name)
        }
        return {"methods": methods, "version": ".".join(map(str, self.version))}

    def rpc_Files_GetSources(self, params):
        if params.get("media") != "video":
            raise ValueError("media must be video")
        sources = [{"file": s, "label": f"Source {i}"} for i, s in enumerate(self.sources)]
        return {
            "limits": {"start": 0, "end": len(sources), "total": len(sources)},
            "sources": sources,
        }

    def rpc_VideoLibrary_GetMovies(self, params):
        flt = params.get("filter")
        if not isinstance(flt, dict) or flt.get("field") not in ("path", "filename"):
            raise ValueError("filter must have field path or filename")
        if flt.get("operator") not in ("is", "startswith", "contains"):
            raise ValueError("bad operator")
        if "file" not in params.get("properties", []):
            raise ValueError("ask for the file property")
        value = flt.get("value", "")
        found = []
        for movieid, file in sorted(self.movies.items()):
            if movieid in self.readding:
                continue
            # a stack's path is its first part's folder (`stack://<a> , <b>`, commas doubled)
            first = file.removeprefix("stack://").split(" , ")[0].replace(",,", ",")
            folder = first.rsplit("/", 1)[0] + "/"
            if (
                flt["operator"] == "startswith"
                and folder.startswith(value)
                or flt["operator"] == "is"
                and folder == value
            ):
                details = self.movie_details.get(movieid, {})
                extra = {p: details[p] for p in params["properties"] if p in details}
                found.append({"movieid": movieid, "file": file, "label": file, **extra})
        return {"limits": {"start": 0, "end": len(found), "total": len(found)}, "movies": found}

    def rpc_VideoLibrary_RefreshMovie(self, params):
        """As Kodi 20.1 does (seen in tests/players/test_real_kodi.py and on the same set-up):
        the movie is read again from its NFO, and its play count, last played time, user
        rating and tags go back to the NFO's (`nfo_details`, else none); the resume point (a
        bookmark of the file) stays."""
        self._check("VideoLibrary.RefreshMovie", params)
        movieid = params["movieId" if self.camel else "movieid"]
        if movieid not in self.movies:
            raise ValueError("no such movie")
        if self.queued_refresh:
            self.queued.append(movieid)
            return "OK"
        if self.staged_refresh:
            self._reread(movieid, ("userrating", "tag"))
            self.staged[movieid] = self.staged_refresh + 1  # this request's end counts too
            return "OK"
        self._reread(movieid)
        if self.slow_refresh:
            self.readding.add(movieid)
        return "OK"

    def kodi_tags(self, names: list[str]) -> list[str]:
        """The tags an item linked to `names` lists: each in the spelling Kodi stored first."""
        out: list[str] = []
        for name in names:
            stored = self.tag_names.setdefault(name.translate(ASCII_LOWER), name)
            if stored not in out:
                out.append(stored)
        return out

    def run_queued(self) -> None:
        """The queued refreshes run now (`queued_refresh`)."""
        for movieid in self.queued:
            self._reread(movieid)
        self.queued.clear()
        for tvshowid in self.queued_shows:
            self._reread_show(tvshowid)
        self.queued_shows.clear()

    def _reread(
        self,
        movieid: int,
        names: tuple[str, ...] = ("playcount", "lastplayed", "userrating", "tag"),
    ) -> None:
        details = self.movie_details.setdefault(movieid, {})
        nfo = self.nfo_details.get(movieid, {})
        for name, none in (("playcount", 0), ("lastplayed", ""), ("userrating", 0), ("tag", [])):
            if name in details and name in names:
                value = nfo.get(name, none)
                details[name] = self.kodi_tags(value) if name == "tag" else value

    def rpc_VideoLibrary_RemoveMovie(self, params):
        self._check("VideoLibrary.RemoveMovie", params)
        movieid = params["movieId" if self.camel else "movieid"]
        if self.movies.pop(movieid, None) is None:
            raise ValueError("no such movie")
        self.movie_details.pop(movieid, None)
        return "OK"

    def rpc_VideoLibrary_SetMovieDetails(self, params):
        self._check("VideoLibrary.SetMovieDetails", params)
        movieid = params["movieId" if self.camel else "movieid"]
        if movieid not in self.movies:
            raise ValueError("no such movie")
        details = self.movie_details.setdefault(movieid, {})
        details.update({k: v for k, v in params.items() if k not in ("movieid", "movieId")})
        if "tag" in params:
            details["tag"] = self.kodi_tags(params["tag"])
        return "OK"

    def rpc_VideoLibrary_GetTVShows(self, params):
        props = params.get("properties", [])
        found = []
        for tvshowid, (file, uniqueid) in sorted(self.shows.items()):
            show = {"tvshowid": tvshowid, "label": file}
            if "file" in props:
                show["file"] = file
            if "uniqueid" in props:
                show["uniqueid"] = uniqueid
            found.append(show)
        return {"limits": {"start": 0, "end": len(found), "total": len(found)}, "tvshows": found}

    def rpc_VideoLibrary_RefreshTVShow(self, params):
        """As Kodi 20.1 does (tests/players/test_real_kodi.py): the show's user rating goes
        back to its tvshow.nfo's, none (`CVideoDatabase::UpdateDetailsForTvShow`); its tags
        stay, and the NFO's (`show_nfo_details`) are added."""
        self._check("VideoLibrary.RefreshTVShow", params)
        tvshowid = params["tvshowId" if self.camel else "tvshowid"]
        if tvshowid not in self.shows:
            raise ValueError("no such show")
        if self.queued_refresh:
            self.queued_shows.append(tvshowid)
            return "OK"
        self._reread_show(tvshowid)
        return "OK"

    def _reread_show(self, tvshowid: int) -> None:
        details = self.show_details.get(tvshowid, {})
        if "userrating" in details:
            details["userrating"] = 0
        nfo_tags = self.show_nfo_details.get(tvshowid, {}).get("tag") or []
        if nfo_tags:
            tags = self.show_details.setdefault(tvshowid, {}).setdefault("tag", [])
            tags += [t for t in self.kodi_tags(nfo_tags) if t not in tags]

    def rpc_VideoLibrary_GetEpisodes(self, params):
        self._check("VideoLibrary.GetEpisodes", params)
        tvshowid = params.get("tvshowId" if self.camel else "tvshowid")
        props = params.get("properties", [])
        found = [
            {"episodeid": k, "label": e.get("title", ""), **{p: e[p] for p in props if p in e}}
            for k, e in sorted(self.episodes.items())
            if e.get("tvshowid") == tvshowid
        ]
        return {"limits": {"start": 0, "end": len(found), "total": len(found)}, "episodes": found}

    def rpc_VideoLibrary_SetEpisodeDetails(self, params):
        self._check("VideoLibrary.SetEpisodeDetails", params)
        episodeid = params["episodeId" if self.camel else "episodeid"]
        if episodeid not in self.episodes:
            raise ValueError("no such episode")
        episode = self.episodes[episodeid]
        for name, value in params.items():
            if name == "art":
                episode["art"] = {**episode.get("art", {}), **value}
            elif name == "uniqueid":
                episode["uniqueid"] = {**episode.get("uniqueid", {}), **value}
            elif name not in ("episodeid", "episodeId"):
                episode[name] = value
        return "OK"

    def rpc_VideoLibrary_RemoveTVShow(self, params):
        self._check("VideoLibrary.RemoveTVShow", params)
        tvshowid = params["tvshowId" if self.camel else "tvshowid"]
        if self.shows.pop(tvshowid, None) is None:
            raise ValueError("no such show")
        self.show_details.pop(tvshowid, None)
        self.episodes = {k: e for k, e in self.episodes.items() if e.get("tvshowid") != tvshowid}
        return "OK"

    def rpc_VideoLibrary_GetTVShowDetails(self, params):
        self._check("VideoLibrary.GetTVShowDetails", params)
        tvshowid = params["tvshowId" if self.camel else "tvshowid"]
        if tvshowid not in self.shows:
            raise ValueError("no such show")
        details = self.show_details.get(tvshowid, {})
        none = {"userrating": 0, "art": {}, "uniqueid": {}, "title": "", "plot": ""}
        shown = {"tvshowid": tvshowid, "label": self.shows[tvshowid][0]}
        for prop in params.get("properties", []):
            shown[prop] = details.get(prop, none.get(prop, []))
        return {"tvshowdetails": shown}

    def rpc_VideoLibrary_SetTVShowDetails(self, params):
        self._check("VideoLibrary.SetTVShowDetails", params)
        tvshowid = params["tvshowId" if self.camel else "tvshowid"]
        if tvshowid not in self.shows:
            raise ValueError("no such show")
        details = self.show_details.setdefault(tvshowid, {})
        details.update({k: v for k, v in params.items() if k not in ("tvshowid", "tvshowId")})
        if "tag" in params:
            details["tag"] = self.kodi_tags(params["tag"])
        return "OK"

    def _texture_matches(self, rule: Any, url: str) -> bool:
        """Kodi's List.Filter.Textures: a rule on `url`, or `and`/`or` of rules (CTextureRule;
        an `image://` value is compared unwrapped)."""
        if not isinstance(rule, dict):
            raise ValueError("a filter is an object")
        for combine, test in (("and", all), ("or", any)):
            if combine in rule:
                if not isinstance(rule[combine], list):
                    raise ValueError(f"{combine} takes a list")
                return test(self._texture_matches(r, url) for r in rule[combine])
        if rule.get("field") not in ("url", "cachedurl"):
            raise ValueError("filter must be a rule on url")
        value = str(rule.get("value", ""))
        if value.startswith("image://") and value.endswith("/"):
            value = unquote(value[len("image://") : -1])
        op = rule.get("operator")
        if op == "is":
            return url == value
        if op == "startswith":
            return url.startswith(value)
        if op == "contains":
            return value in url
        raise ValueError("bad operator")

    def rpc_Textures_GetTextures(self, params):
        flt = params.get("filter")
        found = [
            {"textureid": k, **({"url": url} if "url" in params.get("properties", []) else {})}
            for k, url in sorted(self.textures.items())
            if flt is None or self._texture_matches(flt, url)
        ]
        return {"textures": found}

    def rpc_VideoLibrary_GetMovieDetails(self, params):
        movieid = params.get("movieId" if self.camel else "movieid")
        if movieid not in self.movies:
            raise ValueError("no such movie")
        details = self.movie_details.get(movieid, {})
        props = params.get("properties", [])
        moviedetails = {"movieid": movieid, "label": self.movies[movieid]}
        for prop in props:
            moviedetails[prop] = details.get(prop, {} if prop == "art" else [])
        return {"moviedetails": moviedetails}

    def rpc_Textures_RemoveTexture(self, params):
        if set(params) != {"textureid"}:
            raise ValueError("textureid is the only parameter")
        if self.textures.pop(params["textureid"], None) is None:
            raise ValueError("no such texture")
        return "OK"

    def rpc_VideoLibrary_Scan(self, params):
        self._check("VideoLibrary.Scan", params)
        directory = params.get("directory", "")
        if self.on_scan is not None:
            self.on_scan(directory)
        if directory and not directory.endswith("/"):
            self.violations.append(f"Scan directory without trailing slash: {directory}")
        if directory and not any(directory.startswith(s) for s in self.sources):
            self.violations.append(f"Scan directory outside every source: {directory}")
        with self.lock:
            if self.busy_polls > 0:
                self.violations.append(f"Scan of {directory} sent while scanning: it stopped it")
                self.busy_polls = 0
            else:
                self.busy_polls = self.scan_polls
        return "OK"

    def rpc_XBMC_GetInfoBooleans(self, params):
        booleans = params.get("booleans")
        if not isinstance(booleans, list):
            raise ValueError("booleans must be a list")
        with self.lock:
            scanning = self.busy_polls > 0
            if scanning:
                self.busy_polls -= 1
        return {b: scanning for b in booleans if b.lower() == "library.isscanningvideo"}


# --- Jellyfin -----------------------------------------------------------------------------------


class FakeJellyfin(FakeServer):
    """`items` are the paths of what the library holds: a movie's is its video file (a disc's
    its folder, the one holding its VIDEO_TS/ or BDMV/; a DVD straight in a library folder
    `VIDEO_TS/` itself: MovieResolver), a series' its folder; each library folder
    (`locations`) is an item too. A folder is a Series unless `kinds` says Movie.
    `refreshed` is what the reported paths make Jellyfin refresh, worked out as its
    LibraryMonitor.CreateRefresher and FileRefresher.GetAffectedBaseItem do (10.10): the
    nearest item up each path, and two reported siblings rebased onto their parent folder."""

    def __init__(
        self,
        *,
        token: str = "jf-key",
        locations: list[str] | None = None,
        items: list[str] | None = None,
        kinds: dict[str, str] | None = None,
        names: dict[str, str] | None = None,
        admin: bool = True,
        proxy_auth: tuple[str, str] | None = None,
        port=0,
    ):
        super().__init__(port)
        self.token = token
        # (user, password) of a reverse proxy's basic auth in front (nginx's auth_basic), which
        # checks `Authorization` and passes it on
        self.proxy_auth = proxy_auth
        self.admin = admin  # False: a user's token, not an administrator's API key
        self.names = names or {}  # path -> the item's Name, when not its file's or folder's
        self.locations = locations or []
        self.items = set(items or []) | set(self.locations)
        self.kinds = kinds or {}  # path -> Jellyfin's item type, when not Movie/Series by path
        self.updates: list[list[dict]] = []
        self.item_refreshes: list[str] = []  # the paths of the items refreshed by id
        self.violations: list[str] = []

    @property
    def refreshed(self) -> set[str]:
        refreshers: list[tuple[list[str], list[str]]] = []  # ([its path], affected paths)
        for update in (u for batch in self.updates for u in batch):
            path = update["Path"]
            for where, affected in refreshers:
                if path == where[0]:
                    break
                if path.startswith(where[0] + "/"):
                    affected.append(path)
                    break
                if where[0].startswith(path + "/"):
                    where[0] = path
                    affected.append(path)
                    break
                if posixpath.dirname(path) == posixpath.dirname(where[0]):
                    where[0] = posixpath.dirname(path)
                    affected += [where[0], path]
                    break
            else:
                refreshers.append(([path], [path]))
        found = set()
        for _where, affected in refreshers:
            for path in affected:
                while path and path != "/" and path not in self.items:
                    path = posixpath.dirname(path)
                if path in self.items:
                    found.add(path)
        return found | set(self.item_refreshes)

    @staticmethod
    def item_id(path: str) -> str:
        """An item's Id as Jellyfin writes a Guid in JSON: 32 hex digits, no dashes
        (JsonGuidConverter, `ToString("N")`)."""
        return hashlib.md5(path.encode()).hexdigest()

    def kind(self, path: str) -> str:
        if path in self.locations:
            return "CollectionFolder"
        return self.kinds.get(path) or ("Movie" if posixpath.splitext(path)[1] else "Series")

    def name(self, path: str) -> str:
        """The item's name: as given, else its file's or folder's name without the year (as a
        scraped title)."""
        stem = posixpath.splitext(posixpath.basename(path))[0]
        return self.names.get(path) or stem.split(" (")[0]

    @staticmethod
    def clean(name: str) -> str:
        """What `searchTerm` is matched against: the name without diacritics, lower-case
        (SqliteItemRepository.GetCleanValue, `RemoveDiacritics().ToLowerInvariant()`)."""
        decomposed = unicodedata.normalize("NFKD", name)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()

    def _items(self, req: Request):
        """`GET /Items` (ItemsController.GetItems): `searchTerm` matches names containing it
        (BaseItemRepository: `CleanName.Contains`), `includeItemTypes` filters by type,
        `startIndex` and `limit` give a page of them, and `Path` is in an item only when
        `fields` asks for it; ASP.NET reads the query names
        whatever their case. The answer is a BaseItemDtoQueryResult."""
        query = {k.lower(): v[0] for k, v in req.query.items()}
        term = self.clean(query.get("searchterm", ""))
        types = set(filter(None, query.get("includeitemtypes", "").split(",")))
        fields = set(query.get("fields", "").split(","))
        if query.get("recursive", "").lower() != "true":
            self.violations.append("GET /Items without recursive=true lists the top level only")
        found = []
        for path in sorted(self.items):
            if term not in self.clean(self.name(path)) or (types and self.kind(path) not in types):
                continue
            item = {"Name": self.name(path), "Id": self.item_id(path), "Type": self.kind(path)}
            if "Path" in fields:
                item["Path"] = path
            found.append(item)
        start = int(query.get("startindex") or 0)
        page = found[start : start + int(query["limit"])] if "limit" in query else found[start:]
        return 200, {}, {"Items": page, "TotalRecordCount": len(found), "StartIndex": start}

    def _refresh(self, req: Request, item_id: str):
        """`POST /Items/{itemId}/Refresh` (ItemRefreshController): 204, or 404 for an unknown
        id. Its modes default to None, which refreshes nothing: Default is what a reported
        path gets (BaseItem.ChangedExternally). The controller is `RequiresElevation`: 403 to
        a user who is not an administrator (`/Items` and `/Library/Media/Updated` are plain
        `[Authorize]`)."""
        if not self.admin:
            return 403, {}, b""
        by_id = {self.item_id(p): p for p in self.items}
        if item_id not in by_id:
            return 404, {}, b""
        query = {k.lower(): v[0] for k, v in req.query.items()}
        modes = (query.get("metadatarefreshmode"), query.get("imagerefreshmode"))
        if any(m not in ("Default", "FullRefresh") for m in modes):
            self.violations.append(f"refresh of {by_id[item_id]} with modes {modes}: a no-op")
            return 204, {}, b""
        self.item_refreshes.append(by_id[item_id])
        return 204, {}, b""

    def _authorised(self, req: Request) -> bool:
        if self.proxy_auth is not None:
            pair = base64.b64encode(":".join(self.proxy_auth).encode()).decode()
            if req.headers.get("authorization") != f"Basic {pair}":
                return False  # the proxy's 401
            # Jellyfin finds no MediaBrowser scheme in that header and reads the token from
            # X-Emby-Token, then X-MediaBrowser-Token (AuthorizationContext.cs, 10.10)
            return self.token in (
                req.headers.get("x-emby-token"),
                req.headers.get("x-mediabrowser-token"),
            )
        return req.headers.get("authorization") == f'MediaBrowser Token="{self.token}"'

    def handle(self, req: Request):
        if req.method == "GET" and req.path == "/System/Info/Public":
            return 200, {}, {"ServerName": "fake", "Version": "10.10.3", "Id": "abc"}
        if not self._authorised(req):
            return 401, {}, b""
        if req.method == "GET" and req.path == "/Library/VirtualFolders":
            return (
                200,
                {},
                [{"Name": "Movies", "CollectionType": "movies", "Locations": self.locations}],
            )
        if req.method == "GET" and req.path == "/Items":
            return self._items(req)
        parts = req.path.strip("/").split("/")
        if (
            req.method == "POST"
            and len(parts) == 3
            and parts[0] == "Items"
            and parts[2] == "Refresh"
        ):
            return self._refresh(req, parts[1])
        if req.method == "POST" and req.path == "/Library/Media/Updated":
            updates = (req.body or {}).get("Updates") if isinstance(req.body, dict) else None
            if not isinstance(updates, list) or not all(
                isinstance(u, dict) and isinstance(u.get("Path"), str) for u in updates
            ):
                return 400, {}, {"error": "Updates[].Path required"}
            self.updates.append(updates)
            return 204, {}, b""
        return 404, {}, b""


# --- Plex ---------------------------------------------------------------------------------------


@dataclass
class PlexSection:
    key: str
    title: str
    locations: list[str]
    type: str = "movie"


@dataclass
class PlexItem:
    """A movie (its parts' `files`) or a show (its folders, `locations`) in a section."""

    rating_key: str
    section: str
    title: str
    files: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    type: str = "movie"
    guids: list[str] = field(default_factory=list)  # `Guid[].id`: tmdb://603, imdb://tt...
    guid: str = ""  # its own `guid`, when not the Plex agent's (a legacy agent's)
    # its `files` the parts of one media (a stack, a DVD's VIDEO_TS.IFO and VOB), not versions
    parts: bool = False


PLEX_TYPES = {"1": "movie", "2": "show"}


class FakePlex(FakeServer):
    """Plex's JSON as Plex Media Server answers it (`Accept: application/json`; XML otherwise).
    The shapes follow LukeHagar/plex-api-spec (`MediaContainer.Metadata[]`, `Media[].Part[].file`,
    the `ratingKey` string; media queries where `title=` on a string means "contains") and
    python-plexapi (a show's folders are `Location[].path` of `/library/metadata/<ratingKey>`;
    a section listing of shows carries none; `/library/metadata/<k1>,<k2>` gives several items,
    as `PlexServer.fetchItems` asks). `Guid[]` (`{"id": "tmdb://603"}`, plex-api-spec's
    `Guid` schema) is in a listing only with `includeGuids=1` (Plex Media Server 1.24.3.5033,
    python-plexapi PR #831) and always in `/library/metadata`. `fail` maps a request path to the answer to give
    instead (a 500, an HTML page); `item_refreshes` are the `PUT .../refresh` of items."""

    def __init__(
        self,
        *,
        token: str = "plex-token",
        sections: list[PlexSection] | None = None,
        gone: set[str] | None = None,
        items: list[PlexItem] | None = None,
        fail: dict[str, tuple[int, dict, Any]] | None = None,
    ):
        super().__init__()
        self.token = token
        self.sections = sections or []
        self.gone = gone or set()  # listed, but removed before their refresh: 404
        self.items = {i.rating_key: i for i in items or []}
        self.fail = fail or {}
        self.refreshes: list[tuple[str, str]] = []  # (section key, path)
        self.item_refreshes: list[str] = []  # rating keys

    def _metadata(self, item: PlexItem, full: bool, guids: bool = False) -> dict:
        meta = {
            "ratingKey": item.rating_key,
            "key": f"/library/metadata/{item.rating_key}"
            + ("/children" if item.type == "show" else ""),
            "guid": item.guid or f"plex://{item.type}/5d7768{item.rating_key:0>18}",
            "type": item.type,
            "title": item.title,
            "librarySectionID": int(item.section),
            "addedAt": 1681152176,
        }
        if (guids or full) and item.guids:
            meta["Guid"] = [{"id": g} for g in item.guids]
        if item.type == "movie":
            media = [item.files] if item.parts else [[f] for f in item.files]
            meta["Media"] = [
                {
                    "id": 100 + n,
                    "container": "mkv",
                    "Part": [
                        {
                            "id": 200 + 10 * n + p,
                            "key": f"/library/parts/{200 + 10 * n + p}/1681152176/file.mkv",
                            "file": file,
                            "container": "mkv",
                        }
                        for p, file in enumerate(files)
                    ],
                }
                for n, files in enumerate(media)
            ]
        elif full:
            meta["Location"] = [{"path": p} for p in item.locations]
        return meta

    def handle(self, req: Request):
        if req.headers.get("x-plex-token") != self.token:
            return 401, {"Content-Type": "text/html"}, b"<html>Unauthorized</html>"
        if req.path in self.fail:
            return self.fail[req.path]
        if "application/json" not in req.headers.get("accept", ""):
            return 200, {"Content-Type": "text/xml"}, b"<MediaContainer/>"
        if req.method == "GET" and req.path == "/library/sections":
            dirs = [
                {
                    "key": s.key,
                    "title": s.title,
                    "type": s.type,
                    "Location": [{"id": i, "path": p} for i, p in enumerate(s.locations)],
                }
                for s in self.sections
            ]
            return 200, {}, {"MediaContainer": {"size": len(dirs), "Directory": dirs}}
        parts = req.path.strip("/").split("/")
        if req.method == "GET" and len(parts) == 4 and parts[:2] == ["library", "sections"]:
            if parts[2] not in {s.key for s in self.sections} - self.gone:
                return 404, {}, b""
            if parts[3] == "refresh":
                self.refreshes.append((parts[2], req.query.get("path", [""])[0]))
                return 200, {}, b""
            if parts[3] == "all":
                kind = PLEX_TYPES.get(req.query.get("type", [""])[0])
                title = req.query.get("title", [""])[0].lower()
                guids = req.query.get("includeGuids") == ["1"]
                found = [
                    self._metadata(i, full=False, guids=guids)
                    for i in self.items.values()
                    if i.section == parts[2] and i.type == kind and title in i.title.lower()
                ]
                container = {"size": len(found), "Metadata": found}
                if "X-Plex-Container-Start" in req.query:  # a page, and the whole count
                    start = int(req.query["X-Plex-Container-Start"][0])
                    size = int(req.query.get("X-Plex-Container-Size", ["50"])[0])
                    page = found[start : start + size]
                    container = {
                        "size": len(page),
                        "totalSize": len(found),
                        "offset": start,
                        "Metadata": page,
                    }
                return 200, {}, {"MediaContainer": container}
            return 404, {}, b""
        if len(parts) >= 3 and parts[:2] == ["library", "metadata"]:
            if req.method == "GET" and len(parts) == 3:
                found = [self.items[k] for k in parts[2].split(",") if k in self.items]
                if not found:
                    return 404, {}, b""
                meta = [self._metadata(i, full=True) for i in found]
                return 200, {}, {"MediaContainer": {"size": len(meta), "Metadata": meta}}
            item = self.items.get(parts[2])
            if item is None:
                return 404, {}, b""
            if len(parts) == 4 and parts[3] == "refresh":
                if req.method != "PUT":
                    return 405, {}, b""
                self.item_refreshes.append(item.rating_key)
                return 200, {}, b""
        return 404, {}, b""
