"""The web console in a real browser: headless Chromium driven through WebDriver (selenium).

Builds a data directory with the CLI (generate, ingest, a backtest against a candidate model),
starts `credence serve` on loopback, and opens every console page. Each page must load without
a browser console error; the month page's histogram must have one bar per score band with the
counts of the month's export; the user page must show the user's closed scores; the compare
page must show both models. Screenshots of every page go to $CONSOLE_SCREENSHOTS (default
.build/console-screenshots).

Run: scripts/console-test.sh (installs chromium, chromium-driver and selenium when missing), or
    CREDENCE_BIN=.build/debug/credence python3 -m pytest -q Tests/console/test_console.py
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CREDENCE_BIN", str(ROOT / ".build/debug/credence"))
# The repository's copy of the default model (the binary embeds it): a clone stands on its own.
DEFAULT_MODEL = ROOT / "Models/default-scorecard.json"
SHOTS = Path(os.environ.get("CONSOLE_SCREENSHOTS", str(ROOT / ".build/console-screenshots")))
TOKEN = "console-read-token-1"
BANDS = [(lo, lo + 49 if lo < 800 else 850) for lo in range(300, 850, 50)]


def credence(*args, **kw):
    return subprocess.run([BIN, *args], check=True, capture_output=True, text=True, **kw)


def candidate_model(path):
    model = json.loads(DEFAULT_MODEL.read_text())
    model["model_version"] = "candidate-2"
    for c in model["characteristics"]:
        if c["feature"] == "max_dpd_current":
            c["bins"][0]["points"] = 110
            c["bins"][1]["points"] = 30
        if c["feature"] == "tenure_days":
            for b in c["bins"]:
                b["points"] //= 2
    model["services"]["pay_later"] = 630
    model["services"]["deposit_free_rental"] = 615
    Path(path).write_text(json.dumps(model))


@pytest.fixture(scope="module")
def world():
    work = Path(tempfile.mkdtemp(prefix="credence-console-"))
    data = work / "data"
    events = work / "events.ndjson"
    credence("generate", "--users", "300", "--months", "8", "--seed", "17", "--output", str(events))
    credence("ingest", "--data-dir", str(data), "--no-fsync", str(events))
    candidate_model(work / "candidate.json")
    report = credence("model", "backtest", "--data-dir", str(data), "--model", str(work / "candidate.json"), "--json")
    (work / "report.json").write_text(report.stdout)
    env = dict(os.environ, CREDENCE_READ_TOKENS=TOKEN)
    server = subprocess.Popen(
        [BIN, "serve", "--data-dir", str(data), "--port", "0", "--no-intake",
         "--backtest-report", str(work / "report.json"), "--shadow-model", str(work / "candidate.json")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = server.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    assert match, f"serve did not start: {line!r}"
    base = match.group(1)

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600", "--no-first-run", "--disable-extensions"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(
        options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield {"base": base, "data": data, "driver": driver, "report": json.loads(report.stdout)}
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def api(world, path):
    req = urllib.request.Request(world["base"] + path, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def visit(world, path, shot):
    """Opens a page, checks the browser logged no error, saves a screenshot."""
    d = world["driver"]
    d.get(world["base"] + path)
    errors = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, f"{path}: browser console errors {errors}"
    height = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(1280, min(max(height + 40, 900), 4000))
    d.save_screenshot(str(SHOTS / f"{shot}.png"))
    return d


def months(world):
    return [m["month"] for m in json.loads(api(world, "/v1/snapshots"))["months"]]


def test_without_the_token_the_console_is_closed(world):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(world["base"] + "/console", timeout=10)
    assert e.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(world["base"] + "/console?token=wrong-token-123", timeout=10)
    assert e.value.code == 401


def test_overview_loads_with_the_token_once_then_the_cookie(world):
    d = visit(world, f"/console?token={TOKEN}", "overview")
    assert d.current_url == world["base"] + "/console", "the token leaves the address bar"
    rows = d.find_elements(By.CSS_SELECTOR, "#months tr")
    assert len(rows) - 1 == len(months(world))
    series = d.find_elements(By.CSS_SELECTOR, "#shares-chart path.series")
    assert len(series) == 4, "one line per service"


def test_month_histogram_has_one_bar_per_band_with_the_export_counts(world):
    month = months(world)[-1]
    export = subprocess.run(
        [BIN, "snapshot", "export", "--data-dir", str(world["data"]), "--month", month],
        check=True, capture_output=True, text=True).stdout
    scores = [json.loads(line)["score"] for line in export.splitlines() if line]
    expected = {f"{lo}-{hi}": sum(1 for s in scores if lo <= s <= hi) for lo, hi in BANDS}
    d = visit(world, f"/console/months/{month}", "month")
    bars = d.find_elements(By.CSS_SELECTOR, "#histogram rect.bar")
    assert len(bars) == len(BANDS)
    assert {b.get_attribute("data-band"): int(b.get_attribute("data-count")) for b in bars} == expected
    thresholds = d.find_elements(By.CSS_SELECTOR, "#histogram line.threshold")
    assert sorted(int(t.get_attribute("data-threshold")) for t in thresholds) == [550, 600, 600, 650]
    assert d.find_elements(By.CSS_SELECTOR, "#migration"), "migration from the previous month"


def test_user_page_shows_the_users_scores(world):
    month = months(world)[-1]
    export = subprocess.run(
        [BIN, "snapshot", "export", "--data-dir", str(world["data"]), "--month", month],
        check=True, capture_output=True, text=True).stdout
    user = json.loads(export.splitlines()[0])["user_id"]
    history = json.loads(api(world, f"/v1/users/{user}/scores"))["scores"]
    d = visit(world, f"/console/users/{user}", "user")
    shown = [int(e.text) for e in d.find_elements(By.CSS_SELECTOR, "#user-months .score")]
    assert shown == [s["score"] for s in reversed(history)]
    points = d.find_elements(By.CSS_SELECTOR, "#score-history circle.point")
    assert [int(p.get_attribute("data-value")) for p in points] == [s["score"] for s in history]
    # Reason codes come with their texts (the API's texts of the latest closed month).
    latest = json.loads(api(world, f"/v1/users/{user}/score"))["closed"]
    table = d.find_element(By.ID, "user-months").text
    for reason in latest["reasons"]:
        assert reason["code"] in table and reason["text"] in table


def test_user_search_goes_to_the_user_page(world):
    d = world["driver"]
    month = months(world)[-1]
    export = api(world, f"/v1/snapshots/{month}/export")
    user = json.loads(export.splitlines()[0])["user_id"]
    d.get(world["base"] + "/console")
    box = d.find_element(By.CSS_SELECTOR, "#user-search input")
    box.send_keys(user)
    box.submit()
    time.sleep(0.5)
    assert d.current_url.endswith(f"/console/users/{user}")


def test_compare_page_shows_the_backtest_beside_the_live_model(world):
    d = visit(world, "/console/compare", "compare")
    report = world["report"]
    assert report["baseline"] in d.page_source and report["candidate"] in d.page_source
    latest = report["months"][-1]
    section = d.find_element(By.ID, f"compare-{latest['month']}")
    assert section is not None
    bars = d.find_elements(By.CSS_SELECTOR, "rect.bar[data-series='candidate-2']")
    # The backtest's months, and the same months again as the shadow model (--shadow-model).
    assert len(bars) == 2 * len(BANDS) * len(report["months"])
    shadow = d.find_element(By.ID, f"shadow-candidate-2-{latest['month']}")
    assert shadow is not None
