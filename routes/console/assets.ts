/**
 * The console's static assets, served by the app itself (no CDN, no build step): one stylesheet
 * (works from 390 px to wide screens, visible focus), a favicon, and the only client script, which
 * copies a shown token to the clipboard and asks before destructive actions. Everything else works
 * without script.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../_app.ts";

const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de;--acc:#0a58ca;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;
--s0:#0a58ca;--s1:#8fb8f0;--s2:#1a7f37;--s3:#bf8700;--s4:#8250df;--s5:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--acc)}
:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:.5rem;z-index:9}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;background:#24292f;color:#fff;padding:.6rem 1rem}
.brand{font-weight:700;margin-right:.5rem}
.top nav ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;margin:0;padding:0}
.top nav a{color:#fff;text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}
.top nav a[aria-current=page]{border-bottom-color:#f0a500}
.signout{margin-left:auto}
.signout button{background:transparent;color:#fff;border:1px solid #8c959f}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.3rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .6rem}
section>h2:first-child{margin-top:0}
section,.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.75rem;margin:0 0 1rem}
.figure{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem}
.figure dt{color:var(--muted);font-size:.85rem}
.figure dd{margin:.15rem 0 0;font-size:1.35rem;font-weight:600;overflow-wrap:anywhere}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:.92rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);white-space:nowrap}
td.wrap{white-space:normal;min-width:16rem}
th{background:#eef1f4;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;border:1px solid var(--line)}
.badge.online,.badge.ok,.badge.low,.badge.active{color:var(--ok);border-color:var(--ok)}
.badge.offline,.badge.error,.badge.died,.badge.high,.badge.critical,.badge.inactive{color:var(--bad);border-color:var(--bad)}
.badge.medium,.badge.warning,.badge.never_run{color:var(--warn);border-color:var(--warn)}
.flash{padding:.6rem .8rem;border-radius:6px;border:1px solid}
.flash.ok{background:#dafbe1;border-color:var(--ok)}
.flash.error{background:#ffebe9;border-color:var(--bad)}
form.stack{display:grid;gap:.7rem;max-width:32rem}
form.inline{display:inline}
label{font-weight:600}
.field{display:grid;gap:.25rem}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
input[type=text],input[type=password],input[type=email],input[type=number],select,textarea{font:inherit;padding:.45rem .55rem;border:1px solid #8c959f;border-radius:6px;width:100%;background:#fff}
button{font:inherit;padding:.45rem .9rem;border-radius:6px;border:1px solid #8c959f;background:#f3f4f6;cursor:pointer}
button.primary{background:var(--acc);border-color:var(--acc);color:#fff}
button.danger{color:var(--bad);border-color:var(--bad);background:#fff}
.hint{color:var(--muted);font-size:.88rem;margin:.2rem 0}
.secret{font-family:ui-monospace,monospace;word-break:break-all;background:#fff8c5;border:1px solid #d4a72c;padding:.6rem;border-radius:6px}
.chart{width:100%;height:auto;max-height:320px;background:#fff}
.chart .grid line{stroke:#e5e7eb}
.chart text{font-size:11px;fill:#57606a}
.chart .axis{stroke:#8c959f}
.chart .line{fill:none;stroke-width:2}
.chart .s0{fill:var(--s0);stroke:var(--s0)}.chart .s1{fill:var(--s1);stroke:var(--s1)}
.chart .s2{fill:var(--s2);stroke:var(--s2)}.chart .s3{fill:var(--s3);stroke:var(--s3)}
.chart .s4{fill:var(--s4);stroke:var(--s4)}.chart .s5{fill:var(--s5);stroke:var(--s5)}
.chart .legend text{fill:#1b1f24;font-size:12px}
.chart path.line{fill:none}
.timeline{list-style:none;padding:0;margin:0}
.timeline li{border-left:3px solid var(--line);padding:.3rem .8rem;margin:0 0 .4rem}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
@media (max-width:700px){.cols{grid-template-columns:1fr}main{padding:.6rem}h1{font-size:1.3rem}.signout{margin-left:0}}
`;

const JS = `"use strict";
document.addEventListener("click", function (e) {
  var t = e.target;
  if (!(t instanceof Element)) return;
  var copy = t.closest("[data-copy]");
  if (copy) {
    var src = document.getElementById(copy.getAttribute("data-copy"));
    if (src && navigator.clipboard) {
      navigator.clipboard.writeText(src.textContent.trim()).then(function () {
        copy.textContent = "Copied";
      }, function () {
        copy.textContent = "Copy failed: select the text";
      });
    }
  }
});
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f instanceof HTMLFormElement && f.dataset.confirm && !window.confirm(f.dataset.confirm)) {
    e.preventDefault();
  }
});
`;

const ICON =
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#0a58ca"/><path d="M5 9l2 2 4-5" stroke="#fff" stroke-width="2" fill="none"/></svg>`;

const ASSETS: Record<string, [string, string]> = {
  "console.css": [CSS, "text/css; charset=utf-8"],
  "console.js": [JS, "text/javascript; charset=utf-8"],
  "icon.svg": [ICON, "image/svg+xml"],
};

/** Registers GET /console/assets/{name}. */
export function registerConsoleAssets(app: Hono<AppEnv>): void {
  app.get("/console/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return c.text("Not found", 404);
    c.header("Content-Type", asset[1]);
    c.header("Cache-Control", "public, max-age=86400");
    c.header("X-Content-Type-Options", "nosniff");
    return c.body(asset[0]);
  });
}
