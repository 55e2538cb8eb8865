"""Where the store is: a SQLite file path or a PostgreSQL URL / conninfo, and how to show it.

`--store` / $DEALSCREEN_STORE take either. A PostgreSQL location is never turned into a `Path`
(`pathlib` collapses `postgresql://u:pw@h/db` into `postgresql:/u:pw@h/db`), and it is never
printed as given: `display_name` parses it with `psycopg.conninfo` and drops the password, so no
command output, error message or record contains one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from screen.model.errors import install_hint

DEFAULT_STORE = Path(".dealscreen") / "decisions.db"
STORE_ENV = "DEALSCREEN_STORE"
POSTGRES_INSTALL_HINT = "install the PostgreSQL driver: " + install_hint("postgres")

_URL = re.compile(r"^\s*postgres(ql)?://", re.IGNORECASE)
# A libpq key=value conninfo starts with one of libpq's keywords (a file name never does).
_CONNINFO = re.compile(
    r"^\s*(host|hostaddr|port|dbname|user|password|passfile|service|sslmode|options|"
    r"application_name|connect_timeout|target_session_attrs)\s*=",
    re.IGNORECASE,
)
_SECRET_KEYS = ("password", "passfile", "sslpassword")


def is_postgres(name: str | os.PathLike[str] | None) -> bool:
    """A libpq URL (`postgresql://`, `postgres://`) or key=value conninfo."""
    if name is None or isinstance(name, os.PathLike):
        return False
    return bool(_URL.match(name) or _CONNINFO.match(name))


def store_name(name: str | os.PathLike[str] | None = None) -> str | Path:
    """`--store`, else $DEALSCREEN_STORE, else .dealscreen/decisions.db in the cwd: a Path for a
    SQLite file, the text itself for a PostgreSQL location."""
    if not name:
        name = os.environ.get(STORE_ENV) or DEFAULT_STORE
    if is_postgres(name):
        return str(name).strip()
    return Path(name)


def store_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The SQLite file the location names (kept for callers that only handle files)."""
    name = store_name(path)
    return name if isinstance(name, Path) else Path(DEFAULT_STORE)


def display_name(name: str | os.PathLike[str] | None = None) -> str:
    """The store as it may be printed or recorded: a path as is; a PostgreSQL location as
    `postgresql://user@host:port/dbname` with the password (and any other secret) left out."""
    resolved = store_name(name)
    if isinstance(resolved, Path):
        return str(resolved)
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # no driver: say what it is without parsing by hand
        return "postgresql://(connection details hidden)"
    try:
        params = conninfo_to_dict(resolved)
    except Exception:  # unparseable conninfo: it may contain anything, show nothing of it
        return "postgresql://(unparseable connection string)"
    for key in _SECRET_KEYS:
        params.pop(key, None)
    user = params.pop("user", None)
    host = params.pop("host", None) or params.pop("hostaddr", None) or ""
    port = params.pop("port", None)
    dbname = params.pop("dbname", None) or ""
    where = ("[" + str(host) + "]" if ":" in str(host) else str(host)) if host else ""
    if port:
        where += f":{port}"
    auth = f"{user}@" if user else ""
    extra = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "options")
    return f"postgresql://{auth}{where}/{dbname}" + (f"?{extra}" if extra else "")


def redact(text: str, name: str | os.PathLike[str] | None) -> str:
    """`text` with the location, and any password it carries, replaced by its display name
    (for driver messages, which may quote the connection string)."""
    resolved = store_name(name)
    if isinstance(resolved, Path):
        return text
    text = text.replace(resolved, display_name(resolved))
    try:
        from psycopg.conninfo import conninfo_to_dict

        secret = conninfo_to_dict(resolved).get("password")
    except Exception:  # unparseable: the whole string was replaced above
        return text
    return text.replace(str(secret), "***") if secret else text
