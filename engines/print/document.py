"""Rendered template bodies → one printable HTML document: the page size and margins, print-friendly CSS,
Chinese fonts, a page break between records, and a policy that lets no script or outside frame run."""
from __future__ import annotations

from markupsafe import escape

from engines.print.template import PrintTemplateDef

# Nothing but inline styles and images: no scripts, frames or fetches (the PDF printer must not be able to
# read local files or the network on a template's behalf). Also sent as a header with the HTML.
CONTENT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; font-src data:; "
                  "base-uri 'none'; form-action 'none'")

FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'

_CSS = """
@page { size: %(size)s; margin: %(margins)s; }
html { font-family: %(fonts)s; font-size: 10.5pt; line-height: 1.5; color: #000; }
body { margin: 0; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.print-sheet + .print-sheet { break-before: page; page-break-before: always; }
table { border-collapse: collapse; width: 100%%; }
tr, img, .print-keep { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
.print-head { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #000;
  margin-bottom: 4mm; }
.print-head h1 { font-size: 16pt; margin: 0 0 1mm; }
.print-meta { font-size: 10pt; }
.print-fields th, .print-fields td, .print-rows th, .print-rows td { border: 1px solid #555; padding: 1.2mm 2mm;
  text-align: left; vertical-align: top; }
.print-fields th { background: #f2f2f2; font-weight: normal; white-space: nowrap; width: 16%%; }
.print-value { word-break: break-word; white-space: pre-wrap; }
.print-subtitle { font-size: 12pt; margin: 5mm 0 2mm; }
.print-rows thead th { background: #f2f2f2; }
.print-index { width: 2.5em; text-align: center; }
.print-rows td.print-money, .print-rows td.print-number, .print-rows td.print-percent,
.print-rows td.print-formula { text-align: right; }
.print-empty { text-align: center; color: #777; }
.print-foot { margin-top: 5mm; font-size: 8pt; color: #555; text-align: right; }
@media screen {
  body { background: #eee; }
  .print-sheet { background: #fff; box-sizing: border-box; width: %(width)s; min-height: %(height)s;
    margin: 16px auto; padding: %(margins)s; box-shadow: 0 1px 4px rgba(0, 0, 0, .25); }
}
"""


def page_css(template: PrintTemplateDef) -> str:
    width, height = template.page_size().split(" ")
    return _CSS % {"size": template.page_size(), "margins": template.page_margins(), "fonts": FONTS,
                   "width": width, "height": height}


def html_document(template: PrintTemplateDef, title: str, bodies: list[str], lang: str = "zh-CN") -> str:
    """One document; each body is one record's sheet and starts on a new page."""
    sheets = "\n".join(f'<section class="print-sheet">\n{body}</section>' for body in bodies)
    return (f'<!DOCTYPE html>\n<html lang="{"en" if lang.startswith("en") else "zh-CN"}">\n<head>\n'
            f'<meta charset="utf-8">\n<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">\n'
            f"<title>{escape(title)}</title>\n<style>{page_css(template)}</style>\n</head>\n<body>\n"
            f"{sheets}\n</body>\n</html>\n")
