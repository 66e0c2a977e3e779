"""report.html in a real browser: Debian's headless Chromium loads it from a file URL with
the network off; no console errors, the gallery shows the failures a fixed set of
predictions makes, filters change what is shown, the screenshot is not blank, twins
sit side by side, and a click opens the full-size image."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from browser import Browser, chromium_binary
from conftest import read_rows, run_cli
from gen_stress.scoring.gallery import FAILS_PER_VALUE

TEXT_PX = (4, 6, 8, 10)


@pytest.fixture(scope="module")
def paired_sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "sweep"
    from gen_stress.cli import main

    try:
        main(["--family", "ocr", "--n", "16", "--sweep", "text_px=4:10:2", "--subtask", "tiny_text", "--pairs",
              "--size", "256", "--workers", "1", "--no-progress", "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return out


def fails(row: dict) -> bool:
    """The fixed predictions: wrong at 4 and 6 px, and on every third index elsewhere."""
    return row["difficulty"]["text_px"] <= 6 or row["index"] % 3 == 0


@pytest.fixture(scope="module")
def report_dir(paired_sweep, tmp_path_factory):
    rows = read_rows(paired_sweep)
    preds = tmp_path_factory.mktemp("preds") / "preds.jsonl"
    with preds.open("w") as handle:
        for row in rows:
            reply = "I cannot tell" if fails(row) and row["index"] % 2 else ("xyz" if fails(row) else row["answer"])
            handle.write(json.dumps({"id": row["id"], "prediction": reply}) + "\n")
    out = preds.parent / "report"
    from gen_stress.cli import main

    try:
        main(["score", str(paired_sweep), "-p", str(preds), "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return out, rows


@pytest.fixture(scope="module")
def browser():
    binary = chromium_binary()
    assert binary, "Chromium is missing: apt-get install chromium (.ci/run installs it)"
    b = Browser(binary)
    b.send("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1)
    yield b
    b.close()


def test_report_html_in_a_real_browser(report_dir, browser):
    out, rows = report_dir
    assert (out / "report.html").is_file()
    browser.open((out / "report.html").resolve().as_uri())
    assert browser.errors() == []
    assert all(u.startswith(("file:", "data:")) for u in browser.requested_urls()), browser.requested_urls()

    # The text_px section shows, per value, the first failed pairs (one card per pair, up to the cap).
    expected = [min(FAILS_PER_VALUE, len({r["index"] for r in rows if r["difficulty"]["text_px"] == v and fails(r)}))
                for v in TEXT_PX]
    assert expected[:2] == [FAILS_PER_VALUE, FAILS_PER_VALUE] and 0 < sum(expected[2:])
    shown = browser.evaluate("document.querySelectorAll('section[data-knob=\"text_px\"] .card.fail').length")
    assert shown == sum(expected)
    # Successes beside the failures at the values either side of the breaking point (6 and 8 px).
    assert browser.evaluate("document.querySelectorAll('section[data-knob=\"text_px\"] .card.ok').length") > 0
    # Every card is a pair: twin A and twin B with both replies, and every thumbnail loaded.
    assert browser.evaluate("[...document.querySelectorAll('.card')].every(c => "
                            "c.querySelectorAll('.member').length === 2)")
    # Thumbnails arrive as they come near the window: scroll past each, then all are there.
    assert browser.evaluate("""(async () => { for (const img of document.images) { img.scrollIntoView();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }
        await new Promise(r => setTimeout(r, 300));
        return [...document.images].every(i => i.complete && i.naturalWidth > 0); })()""")
    browser.evaluate("window.scrollTo(0, 0)")
    assert browser.evaluate("document.querySelectorAll('.box').length") > 0

    total = browser.evaluate("document.querySelectorAll('.card:not([hidden])').length")
    abstained = browser.evaluate("""(() => { const s = document.getElementById('f-parse');
        s.value = 'abstained'; s.dispatchEvent(new Event('change'));
        return document.querySelectorAll('.card:not([hidden])').length; })()""")
    assert 0 < abstained < total
    assert browser.evaluate("[...document.querySelectorAll('.card:not([hidden])')]"
                            ".every(c => c.dataset.parse === 'abstained')")
    small = browser.evaluate("""(() => { document.getElementById('f-parse').value = '';
        const k = document.getElementById('f-knob'); k.value = 'text_px';
        document.getElementById('f-min').value = '8'; k.dispatchEvent(new Event('change'));
        return [...document.querySelectorAll('.card:not([hidden])')].map(c => JSON.parse(c.dataset.knobs).text_px); })()""")
    assert small and min(small) >= 8 and len(small) < total
    assert str(len(small)) in browser.evaluate("document.getElementById('shown').textContent")

    shot = np.asarray(Image.open(io.BytesIO(browser.screenshot())).convert("RGB"))
    assert shot.std() > 20 and len(np.unique(shot.reshape(-1, 3), axis=0)) > 100

    # A click opens the full-size image (the dataset's own bytes, 256 px) with its box.
    size = browser.evaluate("""new Promise(done => {
        document.querySelector('.card:not([hidden]) .thumb').click();
        const img = document.querySelector('#lightbox img');
        const report = () => done([img.naturalWidth, document.querySelectorAll('#lightbox .box').length]);
        img.complete && img.naturalWidth ? report() : img.addEventListener('load', report); })""")
    assert size[0] == 256 and size[1] >= 1
    assert browser.errors() == []


def test_report_files_hold_the_stored_images(report_dir):
    out, rows = report_dir
    by_id = {r["id"]: r for r in rows}
    files = sorted((out / "report_files").iterdir())
    assert files
    for path in files[:5]:
        assert path.read_bytes() == by_id[path.stem]["image"]["bytes"]
    assert "report.html" in json.loads((out / "report.json").read_text())["files"]


def test_declared_abstentions_are_coverage_not_scores(paired_sweep, tmp_path, capsys):
    rows = read_rows(paired_sweep)
    preds = tmp_path / "preds.jsonl"
    with preds.open("w") as handle:
        for k, row in enumerate(rows):
            record = ({"id": row["id"], "prediction": None, "abstain": "not attempted"} if k < 4
                      else {"id": row["id"], "prediction": row["answer"]})
            handle.write(json.dumps(record) + "\n")
    code, _, err = run_cli(["score", str(paired_sweep), "-p", str(preds), "--out", str(tmp_path / "r")], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["coverage"]["declined"] == 4 and report["coverage"]["attempted"] == len(rows) - 4
    assert report["coverage"]["reasons"] == {"not attempted": 4}
    assert report["n_items"] == len(rows) - 4 and report["overall"]["accuracy"]["value"] == 1.0
    assert "Coverage: the predictions attempt" in (tmp_path / "r" / "report.md").read_text()
    assert "Coverage" in (tmp_path / "r" / "report.html").read_text()
