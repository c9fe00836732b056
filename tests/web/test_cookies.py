"""The cookies of one metarrd instance are its own: a browser keeps cookies per host name, not
per port, so two instances on one computer (127.0.0.1:8686 and :8687, a test instance beside
the real one) would otherwise overwrite each other's session at every login."""

from __future__ import annotations

import shutil

import pytest
from werkzeug.test import Client

from metarrd import db
from metarrd.web import auth, cookies, create_app
from tests.conftest import make_config
from tests.web.conftest import cookie_name

PASSWORD = "correct horse"


class Computer:
    """Several instances on one host, each with its own data folder and database, reached by one
    browser (werkzeug's cookie jar, like a browser's, matches the host name and ignores the
    port). Each request runs against its own instance's database, as in its own process."""

    def __init__(self, tmp_path, ports) -> None:
        self.instances = {}
        for port in ports:
            config = make_config(tmp_path / str(port), web={"bind": f"127.0.0.1:{port}"})
            app = create_app(config, testing=True)
            auth.set_password(PASSWORD)
            self.instances[port] = (config, app)
        self.browser = Client(self)

    def __call__(self, environ, start_response):
        port = int(environ["HTTP_HOST"].rpartition(":")[2])
        config, app = self.instances[port]
        db.open_database(config.database.url or config.db_path, data_dir=config.data_path)
        return app(environ, start_response)

    def get(self, port: int, path: str):
        return self.browser.get(path, base_url=f"http://127.0.0.1:{port}/")

    def login(self, port: int):
        page = self.get(port, "/login").get_data(as_text=True)
        token = page.split('"X-CSRF-Token": "')[1].split('"')[0]
        return self.browser.post(
            "/login",
            base_url=f"http://127.0.0.1:{port}/",
            data={"csrf_token": token, "password": PASSWORD},
        )


def test_logging_into_a_second_instance_on_another_port_keeps_the_first_logged_in(tmp_path):
    computer = Computer(tmp_path, (8686, 8687))
    assert computer.login(8686).status_code == 303
    assert computer.get(8686, "/settings").status_code == 200
    assert computer.login(8687).status_code == 303
    assert computer.get(8687, "/settings").status_code == 200
    assert computer.get(8686, "/settings").status_code == 200  # was: 302, to its login page


def test_each_instance_keeps_its_own_device_cookie(tmp_path):
    """The device cookie (metarrd/web/devices.py) lets a browser that logged in before past a
    lockout; logging into the other instance replaced it, and the admin lost that at the first."""
    computer = Computer(tmp_path, (8686, 8687))
    computer.login(8686)
    computer.login(8687)
    for port, (_config, app) in computer.instances.items():
        base_url = f"http://127.0.0.1:{port}/"
        name = cookie_name(app, cookies.DEVICE, base_url)
        assert computer.browser.get_cookie(name, domain="127.0.0.1", path="/login") is not None


def test_an_instance_started_from_a_copy_of_the_database_has_its_own_cookies(tmp_path):
    """A test instance made from a copy of the real one's database shares its secret key."""
    computer = Computer(tmp_path, (8686,))
    config, app = computer.instances[8686]
    if config.database.url:
        pytest.skip("copies a SQLite file")
    computer.login(8686)
    copy = make_config(tmp_path / "copy", web={"bind": "127.0.0.1:8687"})
    copy.data_path.mkdir(parents=True)
    shutil.copyfile(config.db_path, copy.db_path)
    computer.instances[8687] = (copy, create_app(copy, testing=True))
    assert computer.login(8687).status_code == 303
    assert computer.get(8686, "/settings").status_code == 200


def test_every_worker_of_an_instance_and_its_proxy_agree_on_the_name(tmp_path):
    """gunicorn's workers are apps of their own; behind a reverse proxy the browser addresses
    another port than the bind's, and the name follows what the browser sent."""
    config = make_config(
        tmp_path, web={"bind": "127.0.0.1:8787", "allowed_hosts": ["metarrd.example.com"]}
    )
    app = create_app(config, testing=True)
    auth.set_password(PASSWORD)
    worker = create_app(config, testing=True)
    for base_url in ("http://127.0.0.1:8787/", "https://metarrd.example.com/"):
        assert cookie_name(app, cookies.SESSION, base_url) == cookie_name(
            worker, cookies.SESSION, base_url
        )
    browser = app.test_client()
    base_url = "https://metarrd.example.com/"
    page = browser.get("/login", base_url=base_url).get_data(as_text=True)
    token = page.split('"X-CSRF-Token": "')[1].split('"')[0]
    answer = browser.post(
        "/login", base_url=base_url, data={"csrf_token": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    other = worker.test_client()
    name = cookie_name(app, cookies.SESSION, base_url)
    other.set_cookie(
        name,
        browser.get_cookie(name, domain="metarrd.example.com").value,
        domain="metarrd.example.com",
    )
    assert other.get("/settings", base_url=base_url).status_code == 200


def test_the_untagged_cookies_of_earlier_versions_are_deleted(tmp_path):
    """Before the tag, the cookies were `metarrd_session` (on `/`) and `metarrd_device` (on
    `/login`): after an upgrade nothing reads them, and a browser kept sending the dead session
    with every request until it expired."""
    config = make_config(tmp_path, web={"bind": "127.0.0.1:8686"})
    app = create_app(config, testing=True)
    c = app.test_client()
    c.set_cookie("metarrd_session", "eyJvbGQiOnRydWV9.old.sig", path="/")
    c.set_cookie("metarrd_device", "old-device", path="/login")
    assert c.get("/").status_code == 200
    assert c.get_cookie("metarrd_session", path="/") is None
    assert c.get_cookie("metarrd_device", path="/login") is not None  # not sent to `/`
    assert c.get("/login").status_code in (200, 302)
    assert c.get_cookie("metarrd_device", path="/login") is None
    # the instance's own session cookie (its CSRF token) is kept
    assert c.get_cookie(cookie_name(app, cookies.SESSION)) is not None
    deletions = [h for h in c.get("/").headers.getlist("Set-Cookie") if "Max-Age=0" in h]
    assert deletions == []  # once gone, nothing more to delete


def test_over_https_the_untagged_cookie_is_deleted_as_secure(tmp_path):
    """A browser lets no answer over plain HTTP, and no deletion without `Secure`, touch a cookie
    that was set `Secure` (RFC 6265bis, 5.7): over HTTPS the deletion carries it."""
    config = make_config(tmp_path, web={"bind": "127.0.0.1:8686"})
    c = create_app(config, testing=True).test_client()
    c.set_cookie("metarrd_session", "old", domain="10.0.0.1", path="/")
    answer = c.get("/login", base_url="https://10.0.0.1/")
    deletion = [h for h in answer.headers.getlist("Set-Cookie") if h.startswith("metarrd_session=")]
    assert len(deletion) == 1 and "Max-Age=0" in deletion[0] and "Secure" in deletion[0]
