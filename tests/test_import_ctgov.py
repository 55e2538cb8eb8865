"""`dealscreen import ctgov`: real ClinicalTrials.gov records in, case files out.

The fixtures are real API v2 records (see tests/fixtures/ctgov/README.md for their origin and
version dates). `--fetch` is tested against a server on 127.0.0.1 only.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "ctgov"
PAGE = FIXTURES / "studies-page.json"
ONE = FIXTURES / "NCT00517179.json"

COMMENTED_CASE = """\
# Screening of a Hong Kong urology company, draft 2
id: hk-uro
as_of: 2025-03-31          # data date
analyst: J. Li
company:
  name: HK Uro Bio   # not the sponsor
  financing_stage: series_b
assets:
  - id: VRD-10
    name: Vardenafil 10mg
    role: core                       # the one that matters
    stage: phase2
    trials:
      - nct_id: NCT00517179          # the crossover study
        phase: NA                    # as registered
        size: 40
      - {nct_id: NCT01234567, phase: PHASE3}
    epidemiology:
      us: {value: 27000, unit: patients, source: seer-2024, as_of: 2024-04-01, status: verified}
  - id: OTHER
    name: Other asset
sources:
  - {id: seer-2024, title: "SEER Stat Facts", url: "https://seer.cancer.gov/", date: 2024-04-01}

# end of file comment
"""


def _case(tmp_path: Path, text: str = COMMENTED_CASE) -> Path:
    path = tmp_path / "hk-uro.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_new_case_from_a_page_loads_and_screens(tmp_path: Path) -> None:
    out = run_cli("import", "ctgov", str(PAGE))
    assert out.returncode == 0, out.stderr
    case = tmp_path / "new.yaml"
    case.write_text(out.stdout, encoding="utf-8")
    scored = run_cli("score", str(case), "--format", "json")
    assert scored.returncode == 0, scored.stderr
    data = yaml.safe_load(out.stdout)
    assert data["company"]["name"] == "Montefiore Medical Center"  # first record's lead sponsor
    assert [a["name"] for a in data["assets"]] == [
        "Kinesio(R)Tape for edema control",
        "Vardenafil 10mg",
    ]
    trial = data["assets"][1]["trials"][0]
    assert trial["nct_id"] == "NCT00517179"
    assert trial["phase"] == "NA"
    assert trial["region"] == "china"  # the one location is in Hong Kong, China
    assert trial["status"] == "completed"
    assert trial["size"]["value"] == 40
    assert trial["size"]["note"] == "anticipated enrolment"  # enrollmentInfo.type ESTIMATED
    assert trial["size"]["status"] == "verified"
    assert str(trial["size"]["as_of"]) == "2011-06-16"  # lastUpdatePostDate of the record
    source = next(s for s in data["sources"] if s["id"] == trial["size"]["source"])
    assert source["url"] == "https://clinicaltrials.gov/study/NCT00517179"
    assert str(source["date"]) == "2011-06-16"
    us = data["assets"][0]["trials"][0]
    assert us["region"] == "us" and us["size"]["note"] == "actual enrolment"
    # what the case vocabulary cannot hold is left out of the data, kept as a comment
    assert "stage" not in data["assets"][0] and "role" not in data["assets"][0]
    assert "collaborators: Burke Rehabilitation Hospital" in out.stdout
    assert "start 2021-10-18" in out.stdout and "start 2006-04" in out.stdout


def test_phases_join_as_the_case_vocabulary_writes_them(tmp_path: Path) -> None:
    record = json.loads(ONE.read_text())
    record["protocolSection"]["designModule"]["phases"] = ["PHASE1", "PHASE2"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(record))
    out = run_cli("import", "ctgov", str(path))
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["assets"][0]["trials"][0]["phase"] == "PHASE1/PHASE2"


def test_a_new_case_suggests_the_regional_stages_its_records_show(tmp_path: Path) -> None:
    """A phase 3 run in China and the US, a phase 1 in Japan: suggested as a commented-out
    development block (a block reads a region it leaves out as none, and these records are
    rarely all the asset's trials), which loads and screens once uncommented."""
    record = json.loads(ONE.read_text())
    record["protocolSection"]["designModule"]["phases"] = ["PHASE3"]
    locations = [{"country": "China"}, {"country": "United States"}]
    record["protocolSection"]["contactsLocationsModule"] = {"locations": locations}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(record))
    out = run_cli("import", "ctgov", str(path))
    assert out.returncode == 0, out.stderr
    assert "development" not in yaml.safe_load(out.stdout)["assets"][0]  # only a comment
    assert "#   china: {stage: phase3}" in out.stdout and "#   us: {stage: phase3}" in out.stdout
    text = out.stdout.replace("    # development:", "    development:")
    text = text.replace("    #   china:", "      china:").replace("    #   us:", "      us:")
    case = tmp_path / "c.yaml"
    case.write_text(text)
    screened = run_cli("score", str(case), "--format", "json")
    assert screened.returncode == 0, screened.stderr
    assert json.loads(screened.stdout)[0]["assets"][0]["stage"] == "phase3"


def test_into_keeps_every_untouched_line_and_reports_conflicts(tmp_path: Path) -> None:
    case = _case(tmp_path, COMMENTED_CASE.replace("phase: NA  ", "phase: PHASE2"))
    before = case.read_text()
    out = run_cli("import", "ctgov", str(PAGE), "--into", str(case), "--asset", "VRD-10")
    assert out.returncode == 0, out.stderr
    after = case.read_text()
    # every original line except the two the record updates is still there, in order
    changed = {"        size: 40\n"}
    kept = [line for line in before.splitlines(keepends=True) if line not in changed]
    it = iter(after.splitlines(keepends=True))
    assert all(any(line == other for other in it) for line in kept), after
    for comment in ("# Screening of", "# data date", "# not the sponsor", "# the crossover study",
                    "# the one that matters", "# end of file comment"):  # fmt: skip
        assert comment in after
    # the record says phase NA: a contradiction is reported, the case's value kept
    assert "phase: PHASE2" in after
    assert "trials[NCT00517179].phase: the case says PHASE2, the record" in out.stderr
    assert "hk-uro.yaml:15:9:" in out.stderr  # file:line:col of the contradicted fact
    # same enrolment as the case: the bare number gains its source
    assert "size: {value: 40, unit: patients, source: ctgov-NCT00517179" in after
    # the other record is appended, and both records are in sources
    assert "- nct_id: NCT05013879" in after
    assert after.count("id: ctgov-NCT") == 2
    assert out.stdout.startswith(f"--- {case}\n+++ {case} (merged)\n")
    assert "-        size: 40\n" in out.stdout
    assert run_cli("score", str(case)).returncode == 0


def test_prefer_record_overwrites(tmp_path: Path) -> None:
    case = _case(tmp_path, COMMENTED_CASE.replace("phase: NA  ", "phase: PHASE2"))
    out = run_cli("import", "ctgov", str(ONE), "--into", str(case), "--asset", "VRD-10",
                  "--prefer", "record")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "phase: NA                    # deck" not in case.read_text()
    assert "        phase: NA" in case.read_text()
    assert "replaced by the record's NA" in out.stderr


def test_dry_run_writes_nothing_and_rerun_is_a_no_op(tmp_path: Path) -> None:
    case = _case(tmp_path)
    before = case.read_bytes()
    dry = run_cli("import", "ctgov", str(ONE), "--into", str(case), "--asset", "VRD-10",
                  "--dry-run")  # fmt: skip
    assert dry.returncode == 0 and "+        region: china" in dry.stdout
    assert case.read_bytes() == before
    assert (
        run_cli("import", "ctgov", str(ONE), "--into", str(case), "--asset", "VRD-10").returncode
        == 0
    )
    again = run_cli("import", "ctgov", str(ONE), "--into", str(case), "--asset", "VRD-10")
    assert again.returncode == 0 and again.stdout == ""
    assert "already up to date" in again.stderr


def test_into_needs_the_asset_when_there_are_several(tmp_path: Path) -> None:
    case = _case(tmp_path)
    out = run_cli("import", "ctgov", str(ONE), "--into", str(case))
    assert out.returncode == 2 and "--asset VRD-10 | OTHER" in out.stderr
    out = run_cli("import", "ctgov", str(ONE), "--into", str(case), "--asset", "VRD-1")
    assert out.returncode == 2 and "did you mean 'VRD-10'?" in out.stderr


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["protocolSection"]["designModule"].update(phases="PHASE2"),
         "$.protocolSection.designModule.phases: expected a list, got text"),
        (lambda r: r["protocolSection"]["designModule"].update(phases=[2]),
         "$.protocolSection.designModule.phases[0]: expected text, got a number"),
        (lambda r: r["protocolSection"]["designModule"]["enrollmentInfo"].update(count="40"),
         "$.protocolSection.designModule.enrollmentInfo.count: expected a number, got text"),
        (lambda r: r["protocolSection"]["identificationModule"].update(nctId="NCT123"),
         "$.protocolSection.identificationModule.nctId: 'NCT123' is not an NCT id"),
        (lambda r: r.pop("protocolSection"), "$: not a ClinicalTrials.gov study"),
        (lambda r: r["protocolSection"]["statusModule"]["startDateStruct"].update(date="4/2006"),
         "$.protocolSection.statusModule.startDateStruct.date: '4/2006' is not a date"),
    ],
)  # fmt: skip
def test_bad_records_name_the_json_path_and_write_nothing(tmp_path: Path, mutate, message) -> None:
    record = json.loads(ONE.read_text())
    mutate(record)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record))
    case = _case(tmp_path)
    before = case.read_bytes()
    out = run_cli("import", "ctgov", str(bad), "--into", str(case), "--asset", "VRD-10")
    assert out.returncode == 2
    assert out.stderr.startswith(f"{bad}: {message}"), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert case.read_bytes() == before


def test_not_json_points_at_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"protocolSection": {\n  "x": ,\n}')
    out = run_cli("import", "ctgov", str(bad))
    assert out.returncode == 2 and out.stderr.startswith(f"{bad}:2:8: not JSON:")
    page = tmp_path / "page.json"
    page.write_text('{"studies": [{"protocolSection": {}}, 3]}')
    out = run_cli("import", "ctgov", str(page))
    assert out.returncode == 2
    assert "$.studies[0].protocolSection.identificationModule.nctId: missing" in out.stderr


class _Fixtures(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        nct = self.path.split("?")[0].rsplit("/", 1)[-1]
        path = FIXTURES / f"{nct}.json"
        if not path.exists():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Fixtures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Fixtures.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v2/studies"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_reads_the_same_record_from_the_api(registry: str, tmp_path: Path) -> None:
    env = {"DEALSCREEN_CTGOV_URL": registry}
    fetched = run_cli("import", "ctgov", "--fetch", "NCT00517179", env=env)
    from_file = run_cli("import", "ctgov", str(ONE))
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout == from_file.stdout
    assert _Fixtures.requests == ["/api/v2/studies/NCT00517179?format=json"]
    missing = run_cli("import", "ctgov", "--fetch", "NCT09999999", env=env)
    assert missing.returncode == 2 and "NCT09999999" in missing.stderr and "404" in missing.stderr
    bad = run_cli("import", "ctgov", "--fetch", "NCT1", env=env)
    assert bad.returncode == 2 and "not an NCT id" in bad.stderr


def test_usage_errors() -> None:
    out = run_cli("import", "ctgov")
    assert out.returncode == 2 and "give study JSON FILES or --fetch" in out.stderr
    out = run_cli("import", "ctgov", str(ONE), "--dry-run")
    assert out.returncode == 2 and "--into" in out.stderr


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every position in a JSON document (object keys and list indexes)."""
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*path, i))
    return out


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_value_anywhere_parses_or_is_a_located_error(data) -> None:
    """Replace any part of a real record with any JSON value: the importer either maps it or
    says where the record is wrong; it never fails another way (a traceback, a bad case)."""
    from screen.model.errors import ScreenError
    from screen.sources import ctgov

    record = json.loads(ONE.read_text())
    where = data.draw(st.sampled_from(_paths(record)[1:]))
    parent = record
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = data.draw(JSON_VALUES)
    raw = json.dumps(record).encode()
    try:
        studies = ctgov.parse_bytes(raw, "r.json")
    except ScreenError as err:
        assert str(err).startswith("r.json: $"), str(err)
        return
    from screen.engine.loader import load_case_text
    from screen.sources.merge import new_case_text

    load_case_text(new_case_text(ctgov.new_case(studies), studies), "new.yaml")


def _edited(tmp_path: Path, name: str, edit: Any) -> Path:
    data = json.loads(ONE.read_text("utf-8"))
    edit(data)
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    return path


def _set(keys: tuple[str, ...], value: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    ("keys", "value", "words"),
    [
        (("designModule", "enrollmentInfo", "count"), 10**12, "enrollmentInfo.count: 1,000,"),
        (("statusModule", "lastUpdatePostDateStruct"), {"date": "2011-13-45"}, "not a date"),
    ],
)
def test_impossible_values_are_named_by_their_json_path(tmp_path, keys, value, words):
    """An enrolment of 10^12 was reported at '<imported case>:20:15', a file the user never
    saw; 2011-13-45 has a date's shape and was dropped without a word (no as_of)."""
    path = _edited(tmp_path, "s.json", _set(("protocolSection", *keys), value))
    out = run_cli("import", "ctgov", str(path))
    assert out.returncode == 2
    assert out.stderr.startswith(f"{path}: $.protocolSection.") and words in out.stderr
    assert "<imported case>" not in out.stderr


def test_not_json_deep_nesting_and_a_repeated_study_are_refused(tmp_path):
    nan = tmp_path / "nan.json"
    nan.write_text(ONE.read_text("utf-8").replace('"count": ', '"count": NaN, "x": ', 1))
    out = run_cli("import", "ctgov", str(nan))
    assert out.returncode == 2 and "NaN is not a number JSON allows" in out.stderr
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    out = run_cli("import", "ctgov", str(deep))
    assert out.returncode == 2 and out.stderr.startswith(f"{deep}: nested too deeply")
    page = tmp_path / "page.json"
    one = json.loads(ONE.read_text("utf-8"))
    page.write_text(json.dumps({"studies": [one, one]}))
    out = run_cli("import", "ctgov", str(page))
    assert out.returncode == 2 and "NCT00517179 is given twice" in out.stderr
    out = run_cli("import", "ctgov", str(ONE), str(ONE))
    assert out.returncode == 2 and "given twice" in out.stderr


def test_records_of_several_lead_sponsors_are_warned_about():
    """The page of two studies became one company, Montefiore, owning the Hong Kong Hospital
    Authority's trial, without a word."""
    out = run_cli("import", "ctgov", str(FIXTURES / "studies-page.json"))
    assert out.returncode == 0, out.stderr
    assert "warning: the records have 2 lead sponsors" in out.stderr
    single = run_cli("import", "ctgov", str(ONE))
    assert "lead sponsors" not in single.stderr
