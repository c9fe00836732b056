"""`[database] url` in the forms libpq documents (PostgreSQL manual, "Connection URIs", 34.1.1.2):
a Unix socket percent-encoded in the host part, and several hosts with their ports for a
failover pair (`target_session_attrs`). Runs only with METARRD_TEST_DATABASE_URL set
(.ci/services.sh, whose server listens on 127.0.0.1 and on a socket in its folder)."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit

import pytest

from metarrd import db
from tests.conftest import TEST_DATABASE_URL, _admin_connection

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs METARRD_TEST_DATABASE_URL")


def _server():
    """(user, port, socket folder, database name) of the test server."""
    conn = _admin_connection(TEST_DATABASE_URL)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW unix_socket_directories")
            socket_dir = cur.fetchone()[0].split(",")[0].strip()
    finally:
        conn.close()
    u = urlsplit(TEST_DATABASE_URL)
    return u.username, u.port, socket_dir, u.path.lstrip("/")


def _answers(url: str) -> str:
    database = db.connect_to(url)
    database.connect()
    try:
        return database.execute_sql("SELECT current_database()").fetchone()[0]
    finally:
        database.close()


def test_a_unix_socket_in_the_host_part_is_connected_to():
    # libpq's own example: postgresql://%2Fvar%2Flib%2Fpostgresql/dbname. It was taken for a
    # host name ("could not translate host name "%2Frun%2Fpostgresql" to address").
    user, port, socket_dir, name = _server()
    url = f"postgresql://{user}@{quote(socket_dir, safe='')}:{port}/{name}"
    assert _answers(url) == name
    assert db.describe(url) == f"postgresql://{quote(socket_dir, safe='')}:{port}/{name}"
    # and as a query parameter, as before
    assert _answers(f"postgresql:///{name}?host={socket_dir}&port={port}&user={user}") == name


def test_the_hosts_of_a_failover_pair_are_tried_in_turn():
    # a primary and its standby, each with its port: the first one down (port 1 answers
    # nothing), libpq goes on to the next. Peewee's reading of the URL failed ("Port could not
    # be cast to integer value as '1,127.0.0.1:…'"), and so did every log line naming it.
    user, port, _, name = _server()
    url = f"postgresql://{user}@127.0.0.1:1,127.0.0.1:{port}/{name}?target_session_attrs=any"
    assert _answers(url) == name
    assert db.describe(url) == f"postgresql://127.0.0.1:1,127.0.0.1:{port}/{name}"


def test_a_password_with_reserved_characters_is_decoded():
    # a generated password "p@ss:w/rd%" must be percent-encoded in the URL; it reaches libpq
    # decoded, and no log line shows it
    user, port, _, name = _server()
    url = f"postgresql://{user}:{quote('p@ss:w/rd%', safe='')}@127.0.0.1:{port}/{name}"
    assert db.connect_to(url).connect_params["password"] == "p@ss:w/rd%"
    assert "p%40ss" not in db.describe(url) and "p@ss" not in db.describe(url)
    assert _answers(url) == name


@pytest.mark.parametrize("password", ["p@ss#1", "pa@ss", "pa#ss"])
def test_a_password_written_as_is_in_the_url_is_a_configuration_error(tmp_path, password):
    # a generated password pasted into the URL as is: the rest was read as the host, and
    # every command ended in a traceback ("could not translate host name "ss#1@127.0.0.1"")
    from metarrd.config import ConfigError, load_config

    user, port, _, name = _server()
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
        f'[database]\nurl = "postgresql://{user}:{password}@127.0.0.1:{port}/{name}"\n'
    )
    with pytest.raises(ConfigError, match="database.url.*%40.*%23"):
        load_config(path)
    path.write_text(path.read_text().replace(password, quote(password, safe="")))
    assert _answers(load_config(path).database.url) == name


def test_a_redis_password_written_as_is_is_a_configuration_error(tmp_path):
    # `requirepass p@ss#1` pasted as is: redis-py read "ss#1@127.0.0.1" as part of the host
    from metarrd.config import ConfigError, load_config

    queue_url = os.environ.get("METARRD_TEST_QUEUE_URL", "redis://127.0.0.1:6379/0")
    hostport = urlsplit(queue_url).netloc
    path = tmp_path / "config.toml"
    path.write_text(
        f'data_dir = "{tmp_path}"\n[[library]]\nname = "Movies"\npath = "{tmp_path}"\n'
        f'[queue]\nurl = "redis://:p@ss#1@{hostport}/3"\n'
    )
    with pytest.raises(ConfigError, match="queue.url.*%40"):
        load_config(path)
    path.write_text(path.read_text().replace("p@ss#1", "p%40ss%231"))
    assert load_config(path).queue.url.endswith("/3")
