"""What `metarrd web` says when it listens beyond 127.0.0.1 (README "Running it as a service":
set the password first with `metarrd passwd`)."""

from __future__ import annotations

import logging

import pytest

import metarrd.web as web
from metarrd import db
from metarrd.web import auth, create_app, serve_dev


class _Stopped:
    """A server that is stopped (Ctrl-C) as soon as it starts serving: no socket is opened."""

    server_address = ("0.0.0.0", 8787)

    def serve_forever(self) -> None:
        raise KeyboardInterrupt

    def server_close(self) -> None:
        pass


@pytest.fixture
def public(config_factory, monkeypatch):
    monkeypatch.setattr(web, "make_server", lambda *args, **kwargs: _Stopped())
    config = config_factory(web={"bind": "0.0.0.0:8787"})
    yield config
    if not db.database.is_closed():
        db.database.close()


def test_without_a_password_it_warns_that_nobody_can_log_in(public, caplog):
    with caplog.at_level(logging.INFO, logger="metarrd.web"):
        assert serve_dev(public) == 0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "web UI bound to 0.0.0.0:8787: a login is required, and nobody can log in until an "
        "admin password is set (`metarrd passwd`)"
    ]


def test_with_a_password_set_it_does_not_ask_for_one_again(public, caplog):
    # a user who ran `metarrd passwd` and then `metarrd web --bind 0.0.0.0:8787` was still told
    # "a login is required (set it with `metarrd passwd`)", a warning, and set it again
    create_app(public, testing=True)
    auth.set_password("correct horse battery")
    with caplog.at_level(logging.INFO, logger="metarrd.web"):
        assert serve_dev(public) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "web UI bound to 0.0.0.0:8787: a login is required" in caplog.messages
