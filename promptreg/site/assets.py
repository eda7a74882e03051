"""The site's own stylesheet and script: two small files, no external asset of any kind (no
CDN, no web font), so the site works offline, behind a firewall and from `file://`.

The script only narrows tables: every page is complete without it (the filter controls are
`hidden` in the markup and shown by the script, so with JavaScript off nothing is a dead
control). Each control names the row attribute it filters on (`data-key`); a row is shown
when every control matches: a text box as a case-insensitive substring of the row's
`data-text`, a select by equality (empty: any).
"""

from __future__ import annotations

CSS = """\
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; --ok: #1a7f37;
  --bad: #cf222e; --warn: #9a6700; --link: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--fg); }
header.top { background: #24292f; color: #fff; padding: 10px 24px; display: flex; gap: 24px;
  align-items: baseline; }
header.top a { color: #fff; text-decoration: none; }
header.top a.brand { font-weight: 600; font-size: 16px; }
header.top a[aria-current] { text-decoration: underline; }
main { padding: 16px 24px 40px; max-width: 1200px; }
footer { color: var(--muted); padding: 8px 24px 24px; font-size: 12px; }
a { color: var(--link); }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left;
  vertical-align: top; }
th { background: var(--bg2); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
code, pre { font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--bg2); border: 1px solid var(--line); padding: 8px; overflow-x: auto;
  white-space: pre-wrap; word-break: break-word; margin: 4px 0 12px; }
pre.diff span { display: block; }
.add { background: #dafbe1; }
.del { background: #ffebe9; }
.hunk { color: #0550ae; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px;
  border: 1px solid var(--line); white-space: nowrap; }
.s-fresh { color: var(--ok); border-color: var(--ok); }
.s-stale, .s-missing { color: var(--warn); border-color: var(--warn); }
.s-below-threshold, .s-rejected { color: var(--bad); border-color: var(--bad); }
.forced { color: var(--bad); }
tr.drift td { background: #fff8c5; }
.filters { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.filters[hidden] { display: none; }
.filters input { min-width: 280px; }
.role { font-weight: 600; margin-top: 8px; }
svg.chart { border: 1px solid var(--line); background: #fff; }
svg.chart .axis { stroke: var(--muted); stroke-width: 1; }
svg.chart .line { fill: none; stroke: var(--link); stroke-width: 2; }
svg.chart .point { fill: var(--link); }
svg.chart .point.deployed { fill: var(--ok); stroke: #000; stroke-width: 1; }
svg.chart .threshold { stroke: var(--bad); stroke-dasharray: 5 4; stroke-width: 1.5; }
svg.chart text { font-size: 11px; fill: var(--muted); }
details > summary { cursor: pointer; }
"""

JS = """\
"use strict";
(function () {
  function apply(table, controls) {
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], ok = true;
      for (var j = 0; j < controls.length; j++) {
        var c = controls[j], want = c.value.trim().toLowerCase();
        if (!want) continue;
        var have = (row.getAttribute("data-" + c.getAttribute("data-key")) || "").toLowerCase();
        if (c.tagName === "SELECT" ? have.split("|").indexOf(want) < 0 : have.indexOf(want) < 0) {
          ok = false;
          break;
        }
      }
      row.hidden = !ok;
      if (ok) shown++;
    }
    var count = document.getElementById(table.id + "-count");
    if (count) count.textContent = shown + " of " + rows.length + " shown";
  }
  var boxes = document.querySelectorAll(".filters[data-table]");
  for (var i = 0; i < boxes.length; i++) {
    (function (box) {
      var table = document.getElementById(box.getAttribute("data-table"));
      if (!table) return;
      var controls = box.querySelectorAll("[data-key]");
      for (var j = 0; j < controls.length; j++) {
        controls[j].addEventListener("input", function () { apply(table, controls); });
        controls[j].addEventListener("change", function () { apply(table, controls); });
      }
      box.hidden = false;
      apply(table, controls);
    })(boxes[i]);
  }
})();
"""
