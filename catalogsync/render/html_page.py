"""One self-contained HTML page of filterable rows: the shell of the plan and drift reports.

No external asset of any kind (styles and script are inline, no fonts, no images), so the
file opens from a CI artifact, an e-mail or a laptop offline. Every row carries its kind,
action and risk as data attributes; the filters (selects and a search box) hide rows that
do not match and say how many are shown. The filters can also be set from the address's
fragment, `report.html#kind=product&action=update&risk=high&q=voice`, so a link can point
at a view (and a headless browser can exercise them).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Row:
    """One filterable row: what the filters match, and its HTML (already escaped)."""

    kind: str
    action: str
    risk: str
    search: str  # plain text the search box matches (lower-cased here)
    html: str


@dataclass(frozen=True)
class Filter:
    """A select over one data attribute: its label and the values offered."""

    key: str  # "kind", "action" or "risk"
    label: str
    values: Sequence[str]


_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--create:#1a7f37;--update:#9a6700;--delete:#cf222e;--high:#cf222e;--medium:#bc4c00;--low:#59636e}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
background:var(--bg);margin:0;padding:24px 32px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:var(--muted);font-size:12px;word-break:break-all}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px;
background:var(--soft)}
.card b{display:block;font-size:22px}
.card.high b{color:var(--high)}.card.medium b{color:var(--medium)}
table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:4px 10px;
text-align:left;vertical-align:top}th{background:var(--soft)}
td.n{text-align:right}
.alert{border:1px solid var(--delete);background:#ffebe9;border-radius:8px;padding:8px 14px;
margin:0 0 16px}
.bar{position:sticky;top:0;background:var(--bg);padding:10px 0;display:flex;gap:10px;
align-items:center;flex-wrap:wrap;border-bottom:1px solid var(--line);z-index:1}
.bar select,.bar input{font:inherit;padding:4px 8px;border:1px solid var(--line);
border-radius:6px}
.bar input{min-width:260px}
#shown{color:var(--muted)}
.row{border:1px solid var(--line);border-left:4px solid var(--line);border-radius:6px;
margin:10px 0;padding:8px 12px}
.row[data-action=create],.row[data-action=missing]{border-left-color:var(--create)}
.row[data-action=update],.row[data-action=changed]{border-left-color:var(--update)}
.row[data-action=delete],.row[data-action=unmanaged]{border-left-color:var(--delete)}
.row h3{font-size:14px;margin:0;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.row h3 code{font-size:14px}
.tag{font-size:11px;border-radius:10px;padding:1px 8px;border:1px solid var(--line);
background:var(--soft);text-transform:uppercase;letter-spacing:.03em}
.tag.high{color:#fff;background:var(--high);border-color:var(--high)}
.tag.medium{color:#fff;background:var(--medium);border-color:var(--medium)}
.tag.create{color:var(--create)}.tag.update{color:var(--update)}.tag.delete{color:var(--delete)}
.row ul{margin:6px 0;padding-left:20px}.note{color:var(--muted);margin:4px 0}
.up{color:var(--delete)}.down{color:var(--create)}
pre{background:var(--soft);padding:8px;border-radius:6px;overflow:auto}
"""

_SCRIPT = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('.row'));
  if(!rows.length){return;}
  var controls={};
  ['kind','action','risk','q'].forEach(function(k){
    var el=document.getElementById('f-'+k); if(el){controls[k]=el;}
  });
  function apply(){
    var shown=0, q=controls.q?controls.q.value.trim().toLowerCase():'';
    rows.forEach(function(row){
      var ok=['kind','action','risk'].every(function(k){
        return !controls[k]||!controls[k].value||row.dataset[k]===controls[k].value;
      }) && (!q||row.dataset.search.indexOf(q)>=0);
      row.hidden=!ok; if(ok){shown++;}
    });
    document.getElementById('shown').textContent=shown+' of '+rows.length+' shown';
    document.body.dataset.shown=String(shown);
  }
  Object.keys(controls).forEach(function(k){
    controls[k].addEventListener('input',apply);
    controls[k].addEventListener('change',apply);
  });
  function fromFragment(){
    var params=new URLSearchParams(location.hash.slice(1));
    Object.keys(controls).forEach(function(k){
      if(params.has(k)){
        controls[k].value=params.get(k);
        controls[k].dispatchEvent(new Event('change'));
      }
    });
    apply();
  }
  window.addEventListener('hashchange',fromFragment);
  fromFragment();
})();
"""


def page(
    title: str,
    meta: str,
    summary_html: str,
    rows: Sequence[Row],
    filters: Sequence[Filter],
    empty: str,
) -> str:
    """The whole document. `meta` is plain text; `summary_html` is trusted HTML."""
    selects = []
    for f in filters:
        options = [f'<option value="">every {esc(f.label)}</option>']
        options += [f'<option value="{esc(v)}">{esc(v)}</option>' for v in f.values]
        selects.append(
            f'<label>{esc(f.label.capitalize())} <select id="f-{f.key}">'
            + "".join(options)
            + "</select></label>"
        )
    bar = (
        '<div class="bar">'
        + "".join(selects)
        + '<input id="f-q" type="search" placeholder="Search names, fields, values…">'
        + '<span id="shown"></span></div>'
    )
    body = "\n".join(
        f'<section class="row" data-kind="{esc(r.kind)}" data-action="{esc(r.action)}" '
        f'data-risk="{esc(r.risk)}" data-search="{esc(r.search.lower())}">{r.html}</section>'
        for r in rows
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        f'<h1>{esc(title)}</h1>\n<p class="meta">{esc(meta)}</p>\n'
        f"{summary_html}\n"
        + (f"{bar}\n<main>\n{body}\n</main>\n" if rows else f"<p>{esc(empty)}</p>\n")
        + f"<script>{_SCRIPT}</script>\n</body></html>\n"
    )
