"""How long reading a PDF takes: citewise's layout reader (load.read_pdf: pdfplumber over
pdfminer.six, with tables, headings and page furniture) against plain text extraction by PDFium
(pypdfium2, installed with pdfplumber), on the same generated report, in one process.

    python -m eval.pdf_bench --pages 40 --rounds 3 [--no-tables]
"""
from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path


def report_pdf():
    """An fpdf2 document with a running header ("Acme Corp - Annual Report 2025") and a "Page n of
    N" footer on every page, as reports print them (also the tests' PDF with page furniture)."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, "Acme Corp - Annual Report 2025", align="C")
            self.ln(12)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report()
    pdf.alias_nb_pages()
    return pdf


def make_report(path: Path, pages: int, tables: bool = True) -> None:
    """A report of `pages` pages (report_pdf): a heading, three paragraphs of prose and (with
    `tables`) a ruled table of four rows on every page."""
    pdf = report_pdf()
    prose = ("Our teams reviewed every supplier contract and renegotiated the terms of delivery, payment "
             "and quality control across all of the regions where the company operates. ") * 3
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.multi_cell(0, 9, f"{n + 1}. Section {n + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for _ in range(3):
            pdf.multi_cell(0, 6, prose, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        if not tables:
            continue
        with pdf.table() as table:
            for row in (("Region", "Revenue", "Growth"), ("North", "255", "9"), ("South", "98", "22"),
                        ("East", "41", "17")):
                cells = table.row()
                for value in row:
                    cells.cell(value)
    pdf.output(str(path))


def pdfium_text(path: Path) -> str:
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    try:
        return "\n\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3, help="best of this many, the two readers interleaved")
    ap.add_argument("--no-tables", action="store_true", help="prose only (no ruled table on the pages)")
    args = ap.parse_args()
    from citewise.load import read_pdf

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.pdf"
        make_report(path, args.pages, tables=not args.no_tables)
        best = {"citewise layout (read_pdf)": float("inf"), "PDFium plain text (baseline)": float("inf")}
        for _ in range(args.rounds):
            for name, read in (("citewise layout (read_pdf)", read_pdf), ("PDFium plain text (baseline)", pdfium_text)):
                t0 = time.perf_counter()
                read(path)
                best[name] = min(best[name], time.perf_counter() - t0)
    base = best["PDFium plain text (baseline)"]
    print(f"{args.pages} pages{' without tables' if args.no_tables else ', a ruled table on each'}, best of "
          f"{args.rounds}; {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    for name, seconds in best.items():
        print(f"{name:<30} {seconds:7.3f} s  {args.pages / seconds:7.1f} pages/s  {seconds / base:6.1f}x the baseline's time")


if __name__ == "__main__":
    main()
