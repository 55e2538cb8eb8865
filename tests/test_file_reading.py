"""Reading input files: the size is checked before reading, and only regular files are read.

Issue 16 item 10: a 900 MB rule file, `--rules /dev/zero` and a case path of `/dev/zero` ended in
MemoryError (exit 70), and a FIFO as case path hung. Now each is a located error, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import run_cli
from screen.model import yamlsource
from screen.model.errors import ScreenError
from screen.model.yamlsource import read_bytes

ROOT = Path(__file__).resolve().parent.parent


def special_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # nobody writes: reading it the plain way blocks forever
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:  # sparse: 900 MB on paper, nothing on disk
        fh.truncate(900_000_000)
    return {"fifo": fifo, "device": Path("/dev/zero"), "huge": huge, "folder": tmp_path}


@pytest.mark.parametrize("kind", ["fifo", "device", "huge", "folder"])
def test_special_and_oversized_files_are_refused_before_reading(kind, tmp_path):
    path = special_files(tmp_path)[kind]
    with pytest.raises(ScreenError) as info:
        read_bytes(path, "x.yaml")
    err = info.value
    assert err.location.file == "x.yaml"
    expected = {"fifo": "FIFO", "device": "device", "huge": "larger", "folder": "directory"}
    assert expected[kind] in err.message


def test_the_limit_is_the_yaml_size_cap_and_a_file_at_the_cap_is_read(tmp_path):
    f = tmp_path / "edge.yaml"
    f.write_bytes(b"#" * yamlsource.MAX_BYTES)
    assert len(read_bytes(f)) == yamlsource.MAX_BYTES
    f.write_bytes(b"#" * (yamlsource.MAX_BYTES + 1))
    with pytest.raises(ScreenError, match="larger"):
        read_bytes(f)


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_cli_refuses_them_as_case_and_as_rules_with_exit_2(kind, tmp_path):
    path = str(special_files(tmp_path)[kind])
    case = str(ROOT / "cases" / "kestrel-bio.yaml")
    for args in (("score", path), ("score", case, "--rules", path), ("explain", path)):
        res = run_cli(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.startswith(path + ":"), res.stderr
        assert "Traceback" not in res.stderr and "internal error" not in res.stderr
