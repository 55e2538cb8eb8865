"""Store tests on both backends: a SQLite file, and a database on a real PostgreSQL server.

The server is $DEALSCREEN_TEST_PG (a superuser URL; `.ci/run` starts one with `.ci/pg-cluster`).
Without it, a throwaway cluster is started here with the same script when PostgreSQL binaries
are installed. When no server can be had, PostgreSQL tests skip with the reason, except in CI
(`CI=true`), where they fail: CI must never silently test one backend.

Import the fixtures into a test module (`from store_backends import backend, store_url, ...`).
Each PostgreSQL test gets a fresh database; `superuser_sql` changes a store behind dealscreen's
back (triggers off, as a superuser would) to prove `verify` catches it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["backend", "pg_cluster", "pg_url", "store_url"]  # the fixtures, for `import *`

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "pg-cluster"
_names = itertools.count(1)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


class Cluster:
    """A PostgreSQL server for tests: its superuser URL, and (when we started it) its data
    folder so a test can stop and restart it."""

    def __init__(self, url: str, data: str | None, bin_dir: str | None, owned: str | None):
        self.url, self.data, self.bin, self.owned = url, data, bin_dir, owned

    def database_url(self, db: str) -> str:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = conninfo_to_dict(self.url)
        params["dbname"] = db
        return _as_url(make_conninfo(**params))

    def pg_ctl(self, *args: str) -> None:
        """Run pg_ctl on the server (as the postgres OS user when we are root)."""
        if not (self.data and self.bin):
            _unavailable("the test needs to stop the server: set $DEALSCREEN_TEST_PG_DATA/_BIN")
        cmd = [f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-t", "60", *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        log = str(Path(self.data).parent / "server.log")
        if args and args[0] == "start":
            cmd += ["-l", log]
        subprocess.run(cmd, check=True, capture_output=True, timeout=90)

    def admin(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True)


def _as_url(conninfo: str) -> str:
    """A key=value conninfo as a postgresql:// URL (what users put in DEALSCREEN_STORE)."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(conninfo)
    auth = quote(p["user"]) + (":" + quote(p["password"]) if p.get("password") else "")
    return f"postgresql://{auth}@{p['host']}:{p['port']}/{p['dbname']}"


def start_cluster() -> tuple[Cluster | None, str]:
    """Start a throwaway cluster with .ci/pg-cluster; (cluster, "") or (None, why not)."""
    folder = tempfile.mkdtemp(prefix="dealscreen-pg-")
    os.chmod(folder, 0o755)  # the server may run as the postgres OS user
    done = subprocess.run(
        ["bash", str(SCRIPT), "start", f"{folder}/pg"], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        return None, (done.stderr.strip().splitlines() or ["pg-cluster failed"])[-1]
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("export ")
    )
    return Cluster(
        env["DEALSCREEN_TEST_PG"], env["DEALSCREEN_TEST_PG_DATA"], env["DEALSCREEN_TEST_PG_BIN"],
        folder,
    ), ""  # fmt: skip


def stop_cluster(cluster: Cluster) -> None:
    if cluster.owned:
        subprocess.run(["bash", str(SCRIPT), "stop", f"{cluster.owned}/pg"], timeout=60)
        shutil.rmtree(cluster.owned, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("the psycopg driver is not installed (pip install -e '.[test]')")
    url = os.environ.get("DEALSCREEN_TEST_PG")
    if url:
        yield Cluster(
            url,
            os.environ.get("DEALSCREEN_TEST_PG_DATA"),
            os.environ.get("DEALSCREEN_TEST_PG_BIN"),
            None,
        )
        return
    cluster, why = start_cluster()
    if cluster is None:
        _unavailable(f"none given in $DEALSCREEN_TEST_PG and none could be started ({why})")
    try:
        yield cluster
    finally:
        stop_cluster(cluster)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh, empty database on the test server: its URL, with the superuser's password."""
    name = f"dstest_{os.getpid()}_{next(_names)}"
    with pg_cluster.admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_cluster.database_url(name)
    finally:
        with pg_cluster.admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store location for the test's backend: a SQLite path or a PostgreSQL URL."""
    if backend == "postgres":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "store" / "decisions.db")


def is_pg(store: str | Path) -> bool:
    return str(store).startswith("postgresql://")


@contextlib.contextmanager
def superuser_sql(store: str | Path) -> Iterator[Any]:
    """A raw connection to the store, as an attacker with full rights would use it: on
    PostgreSQL with triggers off (session_replication_role = replica). `.run(sql, params)` takes
    `?` placeholders on both backends; changes are committed on exit."""
    if is_pg(store):
        import psycopg

        conn = psycopg.connect(str(store), autocommit=True)
        conn.execute("SET session_replication_role = replica")

        class PG:
            def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
                cur = conn.execute(sql.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []

        try:
            yield PG()
        finally:
            conn.close()
        return
    lite = sqlite3.connect(store)

    class Lite:
        def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return lite.execute(sql, params).fetchall()

    try:
        yield Lite()
        lite.commit()
    finally:
        lite.close()
