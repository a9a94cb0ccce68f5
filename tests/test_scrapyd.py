"""Deploy to a scrapyd started on 127.0.0.1, schedule a crawl through its HTTP API, check the corpus."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import REPO
from crawler.demo.pywb import free_port


def post(url: str, fields: dict, files: dict | None = None) -> dict:
    boundary = uuid.uuid4().hex
    body = bytearray()
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                     f"{v}\r\n").encode()
    for name, (filename, data) in (files or {}).items():
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    req = urllib.request.Request(url, data=bytes(body),
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


@pytest.fixture
def scrapyd(tmp_path):
    exe = shutil.which("scrapyd")
    if exe is None:
        pytest.skip("scrapyd not installed (pip install -e '.[test]')")
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {tmp_path}/eggs\n"
        f"logs_dir = {tmp_path}/logs\nitems_dir =\ndbs_dir = {tmp_path}/dbs\nmax_proc = 2\n"
        "poll_interval = 0.5\n")
    proc = subprocess.Popen([exe], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/daemonstatus.json", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url, tmp_path
    proc.terminate()
    proc.wait()


def test_deploy_schedule_and_poll(scrapyd, scenario, tmp_path):
    url, root = scrapyd
    egg = tmp_path / "palimpsest.egg"
    built = subprocess.run(["scrapyd-deploy", "--build-egg", str(egg)], cwd=REPO, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert post(url + "/addversion.json", {"project": "palimpsest", "version": "1"},
                {"egg": ("palimpsest.egg", egg.read_bytes())})["status"] == "ok"
    out = tmp_path / "corpus"
    job = post(url + "/schedule.json", {
        "project": "palimpsest", "spider": "history", "seeds": scenario.seeds_csv,
        "archive": scenario.archive,
        "setting": [f"PALIMPSEST_OUT={out}", "PALIMPSEST_CDX_PER_MINUTE=0",
                    "PALIMPSEST_SNAPSHOTS_PER_SECOND=0"]})
    assert job["status"] == "ok", job
    deadline = time.time() + 180
    while time.time() < deadline:
        jobs = json.loads(urllib.request.urlopen(url + "/listjobs.json?project=palimpsest", timeout=10).read())
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the scrapyd job did not finish")
    log = next((root / "logs").rglob("*.log")).read_text()
    assert "Spider closed (finished)" in log
    versions = sorted(str(p.relative_to(out / "policies")) for p in (out / "policies").rglob("*.md"))
    assert versions == ["hydeparkbooks.com/20081013214612.md", "joyentcloud.com/20110611185923.md",
                        "welcomegateapp.com/20150909233027.md", "welcomegateapp.com/20170101000000.md",
                        "welcomegateapp.com/20180101000010.md"]
    assert json.loads((out / "last_run.json").read_text())["finish_reason"] == "finished"
