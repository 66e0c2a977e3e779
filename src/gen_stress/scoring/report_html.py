"""report.html: the report as one page that opens offline, with a failure gallery.

The page holds the headline, the family and subtask tables, the breaking-point curves
(static SVG; hovering a point shows its n and interval) and the gallery (see `gallery`):
per family and knob, per knob value, failed items as thumbnails with the question, gold
answer, reply, parse status and knob values, the target's box drawn over the image; the
successes next to a breaking point beside them; minimal-pair twins side by side. Filters
(family, subtask, knob range, parse status, answerable) are plain JavaScript on the page.

Images: thumbnails (downscaled JPEGs, THUMB_PX on the long side) are embedded in the page
once per item; the full-size images, byte for byte as stored in the dataset, are written
beside it in `report_files/` and open on a click. Nothing is loaded from the network.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from gen_stress.scoring.gallery import Section, gallery_sections, shown_ids, twins
from gen_stress.scoring.report import fmt_ci, fmt_pct, fmt_value

THUMB_PX = 176
THUMB_QUALITY = 70
FILES_DIR = "report_files"
TEXT_CHARS = 240  # questions and replies longer than this are cut on the card (whole in the tooltip)
MAX_BOXES = 40  # target boxes drawn per image (counting items can have many targets)

# Curves: SVG geometry in pixels.
SVG_W, SVG_H = 380, 230
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 14, 40


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cut(text: str | None) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"


def _ask(question: str | None) -> str:
    """The question without its answer-format instructions (up to its first "?")."""
    text = "" if question is None else str(question)
    end = text.find("?")
    return _cut(text[:end + 1] if end > 0 else text)


def _script_json(value) -> str:
    """JSON that is safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


# Images -------------------------------------------------------------------------------

def thumbnail_uri(image_bytes: bytes) -> str:
    """A downscaled JPEG of the image, as a data URI."""
    from PIL import Image

    with Image.open(io.BytesIO(image_bytes)) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=THUMB_QUALITY, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _file_name(row_id: str, image_bytes: bytes) -> str:
    suffix = ".jpg" if image_bytes[:3] == b"\xff\xd8\xff" else ".webp" if image_bytes[8:12] == b"WEBP" else ".png"
    return re.sub(r"[^A-Za-z0-9._-]", "_", row_id) + suffix


def target_boxes(item: Mapping) -> list[list[float]]:
    """Boxes of the scene's targets as fractions of the image ([x0, y0, x1, y1] in 0..1)."""
    scene = item.get("scene") or {}
    width, height = scene.get("width") or 0, scene.get("height") or 0
    if not width or not height:
        return []
    boxes = [el["bbox"] for key in ("texts", "objects") for el in scene.get(key) or ()
             if el.get("role") == "target" and el.get("bbox")]
    return [[round(b[0] / width, 4), round(b[1] / height, 4), round(b[2] / width, 4), round(b[3] / height, 4)]
            for b in boxes[:MAX_BOXES]]


# Curves -------------------------------------------------------------------------------

def curve_svg(curve: Mapping) -> str:
    """The accuracy-versus-knob curve as inline SVG: points with 95% intervals (hover:
    value, accuracy, interval, n), the fitted curve, chance, the level and the breaking
    point with its interval."""
    lo, hi = curve["range"]
    span = (hi - lo) or 1.0
    plot_w, plot_h = SVG_W - PAD_L - PAD_R, SVG_H - PAD_T - PAD_B

    def sx(x: float) -> float:
        return round(PAD_L + (x - lo) / span * plot_w, 1)

    def sy(y: float) -> float:
        return round(PAD_T + (1 - y) * plot_h, 1)

    parts = [f'<svg class="curve" viewBox="0 0 {SVG_W} {SVG_H}" width="{SVG_W}" height="{SVG_H}" '
             f'role="img" aria-label="accuracy versus {_e(curve["knob"])}">']
    for y in (0, 0.25, 0.5, 0.75, 1):
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{SVG_W - PAD_R}" y1="{sy(y)}" y2="{sy(y)}"/>'
                     f'<text class="tick" x="{PAD_L - 4}" y="{sy(y) + 3}" text-anchor="end">{y:g}</text>')
    xs = sorted({p["x"] for p in curve["points"]})
    ticks = xs if len(xs) <= 8 else [lo + span * k / 6 for k in range(7)]
    for x in ticks:
        parts.append(f'<text class="tick" x="{sx(x)}" y="{SVG_H - PAD_B + 13}" text-anchor="middle">{x:.3g}</text>')
    scope = "" if curve["scope"] == "all subtasks" else f" ({curve['scope']})"
    parts.append(f'<text class="label" x="{PAD_L + plot_w / 2}" y="{SVG_H - 8}" text-anchor="middle">'
                 f'{_e(curve.get("axis", curve["knob"]) + scope)}</text>')
    cross = curve["crossing"]
    if cross["status"] == "crosses":
        if cross.get("low") is not None:
            parts.append(f'<rect class="band" x="{sx(cross["low"])}" y="{PAD_T}" '
                         f'width="{max(1.0, sx(cross["high"]) - sx(cross["low"])):.1f}" height="{plot_h}">'
                         f'<title>breaking point 95% CI {cross["low"]:.3g}–{cross["high"]:.3g}</title></rect>')
        parts.append(f'<line class="break" x1="{sx(cross["value"])}" x2="{sx(cross["value"])}" y1="{PAD_T}" '
                     f'y2="{PAD_T + plot_h}"><title>breaks at {cross["value"]:.3g}</title></line>')
    parts.append(f'<line class="chance" x1="{PAD_L}" x2="{SVG_W - PAD_R}" y1="{sy(curve["chance"])}" '
                 f'y2="{sy(curve["chance"])}"><title>chance {curve["chance"]:.2f}</title></line>')
    if cross.get("level") is not None and cross["status"] != "too_few_values":
        parts.append(f'<line class="level" x1="{PAD_L}" x2="{SVG_W - PAD_R}" y1="{sy(cross["level"])}" '
                     f'y2="{sy(cross["level"])}"><title>level {cross["level"]:.2f}</title></line>')
    if curve.get("fit"):
        path = " ".join(f"{sx(x)},{sy(y)}" for x, y in curve["fit"]["curve"])
        parts.append(f'<polyline class="fit" points="{path}"><title>fitted curve</title></polyline>')
    for p in curve["points"]:
        where = f"{p['lo']:g}" if p["lo"] == p["hi"] else f"{p['lo']:g}–{p['hi']:g}"
        tip = (f"{curve['knob']} {where}: accuracy {p['value']:.2f} [{p['low']:.2f}, {p['high']:.2f}], "
               f"n = {p['n']}")
        parts.append(f'<g class="point"><title>{_e(tip)}</title>'
                     f'<line x1="{sx(p["x"])}" x2="{sx(p["x"])}" y1="{sy(p["low"])}" y2="{sy(p["high"])}"/>'
                     f'<circle cx="{sx(p["x"])}" cy="{sy(p["value"])}" r="4"/></g>')
    parts.append("</svg>")
    return "".join(parts)


# Tables -------------------------------------------------------------------------------

def _table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status(block: Mapping) -> list:
    ps = block["parse_status"]
    return [ps["exact"], ps["extracted"], ps["abstained"], ps["unparseable"]]


def families_table(report: Mapping) -> str:
    rows = []
    for family, block in report["families"].items():
        a = block["abstention"]
        rows.append([family, block["n"], fmt_ci(block["accuracy"]), fmt_ci(block["paired"]) if block["paired"] else "–",
                     fmt_pct(a["abstention_recall"]), fmt_pct(a["over_abstention"]), fmt_value(block["baselines"]["best"])])
    o = report["overall"]
    rows.append(["all", o["n"], fmt_ci(o["accuracy"]), fmt_ci(o["paired"]) if o["paired"] else "–",
                 fmt_pct(o["abstention"]["abstention_recall"]), fmt_pct(o["abstention"]["over_abstention"]),
                 fmt_value(o["baselines"]["best"])])
    return _table(["family", "n", "accuracy [95% CI]", "paired accuracy", "abstention recall", "over-abstention",
                   "best blind baseline"], rows)


def subtasks_table(block: Mapping) -> str:
    rows = [[name, sub["n"], fmt_ci(sub["accuracy"]), *_status(sub), fmt_ci(sub["paired"]) if sub["paired"] else "–"]
            for name, sub in block["subtasks"].items()]
    return _table(["subtask", "n", "accuracy [95% CI]", "exact", "extracted", "abstained", "unparseable",
                   "paired accuracy"], rows)


def coverage_html(coverage: Mapping | None) -> str:
    if not coverage:
        return ""
    rows = [[family, c["n"], c["attempted"], c["declined"], fmt_pct(c["share_attempted"]),
             "; ".join(f"{reason} ({count})" for reason, count in c["reasons"].items()) or "–"]
            for family, c in coverage["families"].items()]
    return ("<h2>Coverage</h2><p>The predictions declare that they do not attempt some items (a reference "
            f"reader's abstentions): {coverage['attempted']} of {coverage['n']} items attempted "
            f"({fmt_pct(coverage['share_attempted'])}). Declined items are not scored.</p>"
            + _table(["family", "items", "attempted", "declined", "coverage", "why declined"], rows))


# Gallery ------------------------------------------------------------------------------

def _member_html(item: Mapping, row: Mapping, label: str, files: Mapping[str, str]) -> str:
    boxes = "".join(f'<div class="box" style="left:{b[0] * 100:.2f}%;top:{b[1] * 100:.2f}%;'
                    f'width:{(b[2] - b[0]) * 100:.2f}%;height:{(b[3] - b[1]) * 100:.2f}%"></div>'
                    for b in target_boxes(item))
    mark = "right" if row["correct"] else "wrong"
    reply = row.get("prediction")
    reply_text = "(no prediction)" if reply is None else reply
    return (f'<figure class="member {mark}">'
            f'<div class="thumb" data-full="{_e(files.get(item["id"], ""))}" title="{_e(item["id"])}: open full size">'
            f'<img data-thumb="{_e(item["id"])}" alt="{_e(item["id"])}" style="aspect-ratio:{_aspect(item)}">'
            f'{boxes}</div>'
            f'<figcaption>{f"<b>{_e(label)}</b> " if label else ""}<span class="mark">{mark}</span> '
            f'<span class="status">{_e(row["parse_status"])}</span>'
            f'<div class="q" title="{_e(item.get("question"))}">{_e(_ask(item.get("question")))}</div>'
            f'<div><span class="k">gold</span> {_e(item["answer"])}'
            f'{"" if item.get("answerable", True) else " <i>(unanswerable)</i>"}</div>'
            f'<div title="{_e(reply_text)}"><span class="k">reply</span> {_e(_cut(reply_text))}</div>'
            f'</figcaption></figure>')


def _aspect(item: Mapping) -> str:
    """The image's aspect ratio, so its thumbnail holds its room before it is shown."""
    scene = item.get("scene") or {}
    return f"{scene.get('width') or 1}/{scene.get('height') or 1}"


def _knob_text(difficulty: Mapping) -> str:
    return " · ".join(f"{k}={v}" for k, v in difficulty.items() if v is not None and v != "")


def card_html(row_id: str, items: Mapping[str, Mapping], rows: Mapping[str, Mapping],
              pair_members: Mapping[str, list[str]], files: Mapping[str, str]) -> str:
    item, row = items[row_id], rows[row_id]
    group = [row_id] + [t for t in pair_members.get(row_id, ()) if t in rows]
    if len(group) > 1:  # twin A first, as the dataset orders them
        group.sort(key=lambda i: i.endswith("-b"))
        labels = ["twin A", "twin B"] + [f"twin {chr(67 + k)}" for k in range(len(group) - 2)]
    else:
        labels = [""]
    members = "".join(_member_html(items[g], rows[g], label, files) for g, label in zip(group, labels))
    difficulty = item.get("difficulty") or {}
    numeric = {k: v for k, v in difficulty.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    kind = "ok" if row["correct"] else "fail"
    return (f'<div class="card {kind}{" paired" if len(group) > 1 else ""}" data-id="{_e(row_id)}" '
            f'data-family="{_e(item["family"])}" data-subtask="{_e(item["subtask"])}" '
            f'data-parse="{_e(row["parse_status"])}" '
            f'data-answerable="{"yes" if item.get("answerable", True) else "no"}" '
            f"data-knobs='{_e(json.dumps(numeric))}'>"
            f'<div class="members">{members}</div>'
            f'<div class="knobs">{_e(item["subtask"])} · {_e(_knob_text(difficulty))}</div></div>')


def section_html(section: Section, items, rows, pair_members, files) -> str:
    shelves = []
    for shelf in section.shelves:
        if not shelf.failed and not shelf.succeeded:
            continue
        acc = (shelf.n - shelf.n_failed) / shelf.n if shelf.n else 0.0
        head = (f'<h4>{_e(section.knob)} = {_e(shelf.label)}: {shelf.n_failed} of {shelf.n} failed '
                f'(accuracy {acc:.2f}){" · next to the breaking point" if shelf.near_break else ""}</h4>')
        cards = "".join(card_html(i, items, rows, pair_members, files) for i in shelf.failed + shelf.succeeded)
        shelves.append(f'<div class="shelf">{head}<div class="cards">{cards}</div></div>')
    if not shelves:
        return ""
    scope = "" if section.scope == "all subtasks" else f" ({_e(section.scope)})"
    return (f'<section class="gallery" data-family="{_e(section.family)}" data-knob="{_e(section.knob)}">'
            f'<h3>{_e(section.family)}: {_e(section.axis)}{scope}</h3>{"".join(shelves)}</section>')


# Page ---------------------------------------------------------------------------------

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1400px;padding:0 16px 40px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:28px}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:13px;margin:10px 0 4px;font-weight:600;color:#444}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left}
th{background:#f4f4f4}ul.headline li{margin:2px 0}
.curves{display:flex;flex-wrap:wrap;gap:14px}.curves figure{margin:0}.curves figcaption{max-width:380px;font-size:12px}
svg.curve .grid{stroke:#eee}svg.curve .tick{font-size:10px;fill:#555}svg.curve .label{font-size:11px}
svg.curve .chance{stroke:#888;stroke-dasharray:4 3}svg.curve .level{stroke:#ff7f0e;stroke-dasharray:2 2}
svg.curve .fit{fill:none;stroke:#d62728;stroke-width:1.6}svg.curve .band{fill:#ff7f0e;opacity:.15}
svg.curve .break{stroke:#ff7f0e;stroke-width:1.4}svg.curve .point line{stroke:#6baed6;stroke-width:2}
svg.curve .point circle{fill:#1f77b4}svg.curve .point:hover circle{fill:#08306b;r:6}
#filters{position:sticky;top:0;background:#fafafa;border:1px solid #ddd;padding:6px 8px;z-index:5;
display:flex;flex-wrap:wrap;gap:10px;align-items:center}#filters label{font-size:12px}
#filters input[type=number]{width:70px}
.cards{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}.card{border:2px solid #d62728;
border-radius:4px;padding:4px;background:#fff;width:min-content}.card.ok{border-color:#2ca02c}.members{display:flex;gap:6px}
.member{margin:0;width:176px;font-size:11.5px}.member .mark{font-weight:600}.member.wrong .mark{color:#d62728}
.member.right .mark{color:#2ca02c}.status{color:#555}.q{color:#333;margin:2px 0}.k{color:#777}
.knobs{font-size:10.5px;color:#666;margin-top:3px;word-break:break-word}
.thumb{position:relative;display:inline-block;cursor:zoom-in;line-height:0}.thumb img{width:176px;height:auto}
.box{position:absolute;box-sizing:content-box;margin:-2px 0 0 -2px;border:2px solid #00e5ff;
box-shadow:0 0 0 1px #000;pointer-events:none}
#lightbox{position:fixed;inset:0;background:rgba(0,0,0,.85);display:none;align-items:center;
justify-content:center;z-index:10;cursor:zoom-out}#lightbox.open{display:flex}
#lightbox .thumb{cursor:zoom-out}#lightbox img{max-width:none;image-rendering:pixelated}
[hidden]{display:none!important}
"""

JS = r"""
(function(){
  var thumbs = JSON.parse(document.getElementById('thumbs').textContent);
  function show(img){ var uri = thumbs[img.dataset.thumb]; if (uri) img.src = uri; }
  // Thumbnails are decoded when they come near the window, not all at load.
  var near = 'IntersectionObserver' in window ? new IntersectionObserver(function(entries){
    entries.forEach(function(e){ if (e.isIntersecting){ show(e.target); near.unobserve(e.target); } });
  }, {rootMargin: '800px'}) : null;
  document.querySelectorAll('img[data-thumb]').forEach(function(img){
    if (near) near.observe(img); else show(img); });
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card'));
  var f = {family: document.getElementById('f-family'), subtask: document.getElementById('f-subtask'),
           parse: document.getElementById('f-parse'), answerable: document.getElementById('f-answerable'),
           knob: document.getElementById('f-knob'), min: document.getElementById('f-min'),
           max: document.getElementById('f-max'), kind: document.getElementById('f-kind')};
  function apply(){
    var lo = f.min.value === '' ? -Infinity : Number(f.min.value);
    var hi = f.max.value === '' ? Infinity : Number(f.max.value);
    var shown = 0;
    cards.forEach(function(c){
      var ok = (!f.family.value || c.dataset.family === f.family.value) &&
               (!f.subtask.value || c.dataset.subtask === f.subtask.value) &&
               (!f.parse.value || c.dataset.parse === f.parse.value) &&
               (!f.answerable.value || c.dataset.answerable === f.answerable.value) &&
               (!f.kind.value || c.classList.contains(f.kind.value));
      if (ok && f.knob.value){
        var v = JSON.parse(c.dataset.knobs)[f.knob.value];
        ok = v !== undefined && v >= lo && v <= hi;
      }
      c.hidden = !ok; if (ok) shown++;
    });
    document.querySelectorAll('.shelf').forEach(function(s){
      s.hidden = !s.querySelector('.card:not([hidden])'); });
    document.querySelectorAll('section.gallery').forEach(function(s){
      s.hidden = !s.querySelector('.card:not([hidden])'); });
    document.getElementById('shown').textContent = shown + ' of ' + cards.length + ' cards shown';
  }
  Object.keys(f).forEach(function(k){ f[k].addEventListener('input', apply); f[k].addEventListener('change', apply); });
  var box = document.getElementById('lightbox');
  document.addEventListener('click', function(ev){
    if (box.classList.contains('open')){ box.classList.remove('open'); box.innerHTML = ''; return; }
    var t = ev.target.closest('.thumb'); if (!t || !t.dataset.full) return;
    var big = t.cloneNode(true); var img = big.querySelector('img');
    img.removeAttribute('data-thumb');
    img.addEventListener('load', function(){  // enlarge to fit the window, pixels kept sharp
      var scale = Math.min(innerWidth * 0.95 / img.naturalWidth, innerHeight * 0.92 / img.naturalHeight);
      img.style.width = Math.round(img.naturalWidth * Math.max(1, scale)) + 'px'; });
    img.src = t.dataset.full;
    box.appendChild(big); box.classList.add('open');
  });
  document.addEventListener('keydown', function(ev){
    if (ev.key === 'Escape'){ box.classList.remove('open'); box.innerHTML = ''; } });
  apply();
})();
"""


def _options(values: Iterable[str], everything: str) -> str:
    return f'<option value="">{_e(everything)}</option>' + "".join(
        f'<option value="{_e(v)}">{_e(v)}</option>' for v in values)


def filters_html(items: Sequence[Mapping], report: Mapping) -> str:
    from gen_stress.scoring.parse import PARSE_STATUSES

    subtasks = sorted({i["subtask"] for i in items})
    knobs = sorted({c["knob"] for b in report["families"].values() for c in b["knobs"]["numeric"]})
    return ('<div id="filters">'
            f'<label>family <select id="f-family">{_options(report["families"], "all")}</select></label>'
            f'<label>subtask <select id="f-subtask">{_options(subtasks, "all")}</select></label>'
            f'<label>knob <select id="f-knob">{_options(knobs, "any")}</select></label>'
            '<label>from <input id="f-min" type="number" step="any"></label>'
            '<label>to <input id="f-max" type="number" step="any"></label>'
            f'<label>parse status <select id="f-parse">{_options(PARSE_STATUSES, "any")}</select></label>'
            '<label>answerable <select id="f-answerable"><option value="">either</option>'
            '<option value="yes">yes</option><option value="no">no</option></select></label>'
            '<label>shown <select id="f-kind"><option value="">failures and successes</option>'
            '<option value="fail">failures</option><option value="ok">successes</option></select></label>'
            '<span id="shown"></span></div>')


def normalization_html(report: Mapping) -> str:
    """How text answers were normalised before comparing, and what it changed here."""
    from gen_stress.scoring.report import normalization_description, normalization_note

    text = report["overall"]["answer_types"].get("text")
    if not text:
        return ""
    note = normalization_note(text.get("normalized"))
    return (f"<p class=\"normalization\">Text answers are compared after normalising both sides: "
            f"{_e(normalization_description())}. {_e(note)}</p>")


def page_html(report: Mapping, items: Sequence[Mapping], rows: Sequence[Mapping], sections: Sequence[Section],
              thumbs: Mapping[str, str], files: Mapping[str, str]) -> str:
    by_id = {i["id"]: i for i in items}
    row_by_id = {r["id"]: r for r in rows}
    pair_members = twins(items)
    inputs = report["inputs"]
    source = inputs["dataset"] + (f" @ {inputs['revision']}" if inputs.get("revision") else "")
    body = [f"<h1>gen-stress score report</h1><p>Dataset <code>{_e(source)}</code> (split "
            f"<code>{_e(inputs['split'])}</code>), predictions <code>{_e(inputs['predictions'])}</code> "
            f"({_e(inputs['format'])}): {report['n_items']} items scored, {inputs['matched']} with a prediction. "
            f"Scored by gen-stress {_e(report['gen_stress_version'])}.</p>",
            "<h2>Headline</h2><ul class=\"headline\">" + "".join(f"<li>{_e(line)}</li>" for line in report["headline"])
            + "</ul>", coverage_html(report.get("coverage")), "<h2>Families</h2>", families_table(report),
            normalization_html(report)]
    for family, block in report["families"].items():
        body.append(f"<h2>{_e(family)}</h2><h3>Subtasks</h3>{subtasks_table(block)}")
        curves = block["knobs"]["numeric"]
        if curves:
            figures = "".join(f"<figure>{curve_svg(c)}<figcaption>{_e(c['statement'])}</figcaption></figure>"
                              for c in curves)
            body.append(f'<h3>Breaking points</h3><div class="curves">{figures}</div>')
    body.append("<h2>Failure gallery</h2><p>Per knob value, the first failed items (red) in dataset order and, "
                "at the two values either side of a breaking point, successes (green). The cyan box is the "
                "target's box in the scene; click an image for full size. Minimal pairs show both twins.</p>")
    body.append(filters_html(items, report))
    body += [section_html(s, by_id, row_by_id, pair_members, files) for s in sections]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>gen-stress report: {_e(source)}</title><style>{CSS}</style></head><body>"
            + "".join(body) + '<div id="lightbox"></div>'
            f'<script id="thumbs" type="application/json">{_script_json(dict(thumbs))}</script>'
            f"<script>{JS}</script></body></html>\n")


def write_html(folder: Path, report: Mapping, items: Sequence[Mapping], rows: Sequence[Mapping],
               load_images: Callable[[list[str]], Iterable[Mapping]]) -> list[str]:
    """Write report.html and report_files/ into `folder`; returns the files written,
    relative to it. `load_images(ids)` yields {"id", "image": {"bytes": ...}} for the ids
    the gallery shows."""
    sections = gallery_sections(report, items, rows)
    ids = shown_ids(sections, twins(items))
    thumbs, files = {}, {}
    if ids:
        (folder / FILES_DIR).mkdir()
        for record in load_images(ids):
            data = (record.get("image") or {}).get("bytes")
            if not data:
                continue
            name = f"{FILES_DIR}/{_file_name(record['id'], data)}"
            (folder / name).write_bytes(data)
            files[record["id"]] = name
            thumbs[record["id"]] = thumbnail_uri(data)
    (folder / "report.html").write_text(page_html(report, items, rows, sections, thumbs, files), encoding="utf-8")
    return ["report.html", *([f"{FILES_DIR}/"] if files else [])]
