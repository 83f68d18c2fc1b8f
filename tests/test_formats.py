"""Real files of every supported format, made here, read back through ingest."""
import pytest

from citewise import store
from citewise.errors import UnreadableFileError
from citewise.load import read_document, wrap
from citewise.pdf import Line, Page, Table

HTML = """<!doctype html><html><head><title>Probe news</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></nav>
<article><h1>Probe lands on the Moon</h1>
<p>The probe landed near the crater rim on Tuesday after a seven month cruise through deep space.</p>
<p>Engineers confirmed that all eleven instruments were working and that the first images had arrived.</p>
</article>
<footer>Copyright 2024 Example News. All rights reserved.</footer></body></html>"""


def test_html_main_content_with_paragraphs(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML)
    text = read_document(path).text
    assert "The probe landed near the crater rim" in text
    assert "all eleven instruments were working" in text
    assert "\n\n" in text  # paragraph structure kept
    assert "About us" not in text  # navigation is not main content


def test_pdf_keeps_page_numbers(tmp_path, fake_encoder, fake_settings):
    from fpdf import FPDF

    from citewise.pipeline import ingest

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page_text in ("The first page is about the launch of the probe in March.",
                      "The second page says the probe carried eleven instruments."):
        pdf.add_page()
        pdf.multi_cell(0, 10, page_text)
    (tmp_path / "docs").mkdir()
    pdf.output(str(tmp_path / "docs" / "report.pdf"))
    doc = read_document(tmp_path / "docs" / "report.pdf")
    assert doc.page_at(doc.text.index("eleven instruments")) == 2
    ingest([tmp_path / "docs"], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    paras = store.load(tmp_path / "index").paragraphs
    assert [(p.page, "eleven" in p.text) for p in paras] == [(1, False), (2, True)]


def test_docx_paragraphs_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("The mission report was approved in May.")
    d.add_paragraph("")
    d.add_paragraph("Budget details follow in the table.")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Launch"
    table.rows[0].cells[1].text = "12 million"
    d.save(tmp_path / "r.docx")
    assert read_document(tmp_path / "r.docx").text == ("The mission report was approved in May.\n\n"
                                                      "Budget details follow in the table.\n\nLaunch: 12 million.")


def test_docx_keeps_document_order_headings_lists_and_table_headers(tmp_path):
    """A Word handbook reads like its Markdown twin: a table stays where it stands (it was moved to
    the end), a heading opens its section's paragraph, numbered items keep their numbers (Word's
    "List Number" style numbers them itself), a lead-in ending ":" stays with its list, field
    lines stay together, and a bold first row names the columns."""
    import docx

    d = docx.Document()
    d.add_heading("Travel policy", 0)
    d.add_heading("Hotels", 1)
    d.add_paragraph("Staff book hotels through the portal.")
    d.add_paragraph("To book a trip:")
    d.add_paragraph("Open the portal.", style="List Number")
    d.add_paragraph("Choose a hotel under the cap.", style="List Number")
    table = d.add_table(rows=2, cols=3)
    for i, (head, cell) in enumerate(zip(["Grade", "Hotel cap", "Meals"], ["A", "EUR 150", "EUR 40"])):
        table.rows[0].cells[i].text = head
        table.rows[0].cells[i].paragraphs[0].runs[0].bold = True
        table.rows[1].cells[i].text = cell
    d.add_paragraph("Receipts are kept for seven years.")
    d.add_paragraph("Date: 3 May 2025")
    d.add_paragraph("Approved by: Ann Lee")
    d.save(tmp_path / "policy.docx")
    doc = read_document(tmp_path / "policy.docx")
    assert doc.text == ("Travel policy\nHotels\nStaff book hotels through the portal.\n\n"
                        "To book a trip:\n1. Open the portal.\n2. Choose a hotel under the cap.\n\n"
                        "Grade: A; Hotel cap: EUR 150; Meals: EUR 40.\n\n"
                        "Receipts are kept for seven years.\n\n"
                        "Date: 3 May 2025\nApproved by: Ann Lee")
    # List items and rows are content by their format: cleaning never takes them for link lists.
    assert doc.text.index("1. Open") in doc.content_lines
    assert doc.text.index("Grade: A") in doc.content_lines
    # The headings are marked as such (they give their words to the sentences under them); the
    # list's lead-in is not one.
    assert doc.heading_lines == {0, doc.text.index("Hotels")}
    # A subsection's first paragraph carries the titles of the sections it is in, as in Markdown;
    # the document's Title does not open every section.
    d = docx.Document()
    d.add_heading("Travel policy", 0)
    d.add_heading("Hotels", 1)
    d.add_paragraph("Staff book hotels through the portal.")
    d.add_heading("Rates", 2)
    d.add_paragraph("The cap is 150 euros a night.")
    d.add_paragraph("Breakfast is included.")
    d.add_heading("Meals", 1)
    d.add_paragraph("Meals are paid per diem.")
    d.save(tmp_path / "nested.docx")
    nested = read_document(tmp_path / "nested.docx")
    assert nested.text == ("Travel policy\nHotels\nStaff book hotels through the portal.\n\n"
                           "Hotels\nRates\nThe cap is 150 euros a night.\n\nBreakfast is included.\n\n"
                           "Meals\nMeals are paid per diem.")
    assert len(nested.heading_lines) == 5


def test_docx_tables_with_merged_header_cells_and_tables_inside_cells(tmp_path):
    """A header cell merged over two columns names both ("Period"), and a table inside a cell is
    read as that cell's text (its rows were lost, and a nested table crashed the reader)."""
    import docx

    d = docx.Document()
    table = d.add_table(rows=2, cols=3)
    head = table.rows[0].cells
    head[0].merge(head[1]).text = "Period"
    head[2].text = "Repairs completed"
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for i, value in enumerate(["Q3", "2025", "1,240"]):
        table.rows[1].cells[i].text = value
    outer = d.add_table(rows=1, cols=2)
    outer.rows[0].cells[0].text = "Roofing"
    inner = outer.rows[0].cells[1].add_table(rows=2, cols=2)
    for r, (name, value) in enumerate([("Contractor", "Skyline Roofing Ltd"), ("Contract value", "£84,000")]):
        inner.rows[r].cells[0].text = name
        inner.rows[r].cells[1].text = value
    d.save(tmp_path / "minutes.docx")
    assert read_document(tmp_path / "minutes.docx").text == (
        "Period: Q3; Period: 2025; Repairs completed: 1,240.\n\n"
        "Roofing: Contractor: Skyline Roofing Ltd. Contract value: £84,000.")


def test_corrupt_pdf_and_docx_are_refused_with_reasons(tmp_path):
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    for name, said in (("bad.pdf", "not a readable PDF: damaged, or not a PDF"),
                       ("bad.docx", "not a readable .docx: damaged, or not a Word document")):
        with pytest.raises(UnreadableFileError, match=said) as caught:
            read_document(tmp_path / name)
        assert str(tmp_path) not in str(caught.value)  # no server path in what a user reads


def _lines(*rows: str, top: float = 50.0, pitch: float = 14.0, size: float = 11.0) -> list[Line]:
    """Lines of body text, one pitch apart; a row "" leaves a paragraph's gap."""
    out, y = [], top
    for row in rows:
        if row:
            out.append(Line(row, y, 50.0, size))
        y += pitch
    return out


def test_pdf_layout_makes_paragraphs_headings_lists_and_tables():
    """Set text says what the words alone do not: a gap wider than the line pitch ends a paragraph,
    a larger or bold line is a heading (numbered or not) that opens its section, a bullet opens a
    list item under its lead-in, and a table reads by row and column. (pypdf's plain text ran
    sections, lists and tables into one another: a table was a run of words.)"""
    from citewise.load import pdf_document

    body = _lines("The probe landed near the crater rim on Tuesday after a seven",
                  "month cruise. The landing was watched by the whole team.", "",
                  "Engineers confirmed that all eleven instruments were working", "and sending data.")
    heading = [Line("2. Operations", 20.0, 50.0, 14.0, True)]
    items = _lines("The crew will need:", "• water for three days;", "• a radio.", top=130.0)
    table = Table(180.0, (("Region", "Revenue ($M)", "Largest customer"), ("Europe", "98", "Stadtwerke Kiel"),
                          ("Asia", "18", None)), bold_header=True)
    after = _lines("Revenue by region is shown above, in millions of dollars, for the year.", top=240.0)
    doc = pdf_document([Page(tuple(heading + body + items + after), (table,))])
    assert doc.text.strip() == (
        "2. Operations\nThe probe landed near the crater rim on Tuesday after a seven month cruise. The landing "
        "was watched by the whole team.\n\nEngineers confirmed that all eleven instruments were working and "
        "sending data.\n\nThe crew will need:\n• water for three days;\n• a radio.\n\n"
        "Region: Europe; Revenue ($M): 98; Largest customer: Stadtwerke Kiel.\nRegion: Asia; Revenue ($M): 18."
        "\n\nRevenue by region is shown above, in millions of dollars, for the year.")
    # Every laid-out line is content: cleaning's rules for scraped pages never take a slide's
    # bullets for commenters' names, nor a ruleless table's columns for a link list (both were
    # deleted: "• Lead engineer: Oliver Brandt" became a commenter, "48,200 61,950 12,400" a link).
    from citewise.clean import clean

    for line in ("2. Operations", "• a radio.", "Region: Asia", "The crew will need:"):
        assert doc.text.index(line) in doc.content_lines
    assert doc.heading_lines == {doc.text.index("2. Operations")}  # the heading, not the lead-in or items
    slides = pdf_document([Page(tuple([Line("Project Falcon", 20.0, 50.0, 20.0, True)]
                                      + _lines("• Lead engineer: Oliver Brandt", "• Launch: June 2026",
                                               "• Team: 14 engineers in Munich", top=60.0)))])
    columns = pdf_document([Page(tuple(_lines("Van", "HX-101", "HX-102", "HX-103", "", "Mileage", "48,200",
                                              "61,950", "12,400", top=60.0)))])
    for doc in (slides, columns):
        kept, removed = clean(doc.text, doc.content_lines, doc.furniture)
        assert not removed and all(s.kind == "article" for s in kept), removed


def test_wrap_makes_words_broken_at_line_ends_whole():
    assert wrap("expanded its interna-", "tional operations") == "expanded its international operations"
    assert wrap("a co\u00ad", "operative plan") == "a cooperative plan"  # a soft hyphen is only a break
    # A compound keeps its hyphen: written so elsewhere, a letter, a number, a hyphenated prefix.
    assert wrap("a well-", "known partner", {"well-known"}) == "a well-known partner"
    assert wrap("a new X-", "ray machine") == "a new X-ray machine"
    assert wrap("the 2024-", "2025 year") == "the 2024-2025 year"
    assert wrap("a non-", "executive director") == "a non-executive director"
    assert wrap("the self-", "assessment form") == "the self-assessment form"
    assert wrap("ends here.", "Next") == "ends here. Next"


def test_pdf_running_headers_footers_and_page_breaks(tmp_path):
    """A report's running header and "Page n of N" footer are neither text nor paragraphs of their
    own (they were glued to the last sentence of each page), a paragraph that runs over a page
    break is one paragraph, and the section headings that open the pages stay."""
    from citewise.clean import clean
    from citewise.load import pdf_document
    from eval.pdf_bench import report_pdf

    pdf = report_pdf()  # a running header and "Page n of N" on every page
    filler = ("Our teams reviewed every supplier contract and renegotiated the terms of delivery, "
              "payment and quality control across all of the regions where the company operates. ") * 6
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for n, region in enumerate(("north", "south", "east", "west"), 1):
        pdf.multi_cell(0, 8, f"Results in the {region}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, filler, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        # Long paragraphs: page breaks fall inside them.
        pdf.multi_cell(0, 6, filler * 2 + f"Revenue in region {n} reached {40 + n} million euros over the year.",
                       new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "report.pdf"))
    doc = read_document(tmp_path / "report.pdf")
    spans, removed = clean(doc.text, doc.content_lines, doc.furniture)
    kept = "\n".join(doc.text[s.start:s.end] for s in spans)
    assert "Page " not in kept and "Acme Corp" not in kept
    pages = len(doc.page_starts)
    assert pages >= 3
    assert sorted(r.text for r in removed if r.reason == "page header, footer or number") == \
        ["Acme Corp - Annual Report 2025"] * pages + [f"Page {n} of {pages}" for n in range(1, pages + 1)]
    assert all(f"Results in the {region}" in kept for region in ("north", "south", "east", "west"))
    paragraphs = doc.text[:min(doc.furniture)].strip().split("\n\n")
    assert len(paragraphs) == 8 and not any(p[:1].islower() for p in paragraphs)  # none cut at a page
    assert all(f"Revenue in region {n} reached {40 + n} million euros" in doc.text for n in (1, 2, 3, 4))
    # A page that starts inside a paragraph starts there: its text is cited with its own page.
    assert doc.page_at(doc.text.index("Results in the north")) == 1
    assert doc.page_at(doc.text.index("Revenue in region 4")) == pages
    # The same from laid-out pages: a bare page number goes too, in a document of pages.
    doc = pdf_document([Page(tuple(_lines("Intro text that ends here.", "", "", "3", top=50))),
                        Page(tuple(_lines("Next page text.", "", "", "4", top=50)))])
    assert doc.text.startswith("Intro text that ends here.\n\nNext page text.") and len(doc.furniture) == 2
    # A sentence that runs on over a page break, a word broken there too.
    doc = pdf_document([Page(tuple(_lines("Header", "", "The probe carried eleven instru-", "", "", "Page 1"))),
                        Page(tuple(_lines("Header", "", "ments to the Moon.", "", "", "Page 2")))])
    assert doc.text.startswith("The probe carried eleven instruments to the Moon.\n\n")
    assert doc.page_at(doc.text.index("ments to")) == 2
    # A heading that differs only by its number atop two pages is no running header.
    doc = pdf_document([Page(tuple(_lines("Section 1 Results", "Text one."))),
                        Page(tuple(_lines("Section 2 Results", "Text two.")))])
    assert not doc.furniture and "Section 2 Results" in doc.text


MARKDOWN = """# Zephyr Rover notes

## Background

The **Zephyr rover** was designed by the *Tanaka Robotics Lab* in [Osaka](https://example.org). Its top speed is
12 centimetres per second, and it has been tested on three continents over the last four years of field trials.

Its instruments:

- Drill
- Spectrometer
- Wide camera

| part | supplier |
|---|---|
| wheels | Kestrel Motors |
| solar panels | Aurora Cells |

```
speed = 12  # cm/s
```

The chief engineer of the Zephyr rover is Hiroshi Tanaka.
"""


def test_markdown_is_read_without_its_markup_and_keeps_headings_lists_and_tables(tmp_path, fake_encoder,
                                                                                 fake_settings):
    from citewise.pipeline import Searcher, ingest

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text(MARKDOWN)
    doc = read_document(tmp_path / "docs" / "notes.md")
    assert doc.text.startswith("Zephyr Rover notes\nBackground\nThe Zephyr rover was designed by the Tanaka "
                               "Robotics Lab in Osaka. Its top speed is 12 centimetres")
    assert "Drill\nSpectrometer\nWide camera" in doc.text
    assert "part: wheels; supplier: Kestrel Motors.\npart: solar panels; supplier: Aurora Cells." in doc.text
    assert "speed = 12  # cm/s" in doc.text and "**" not in doc.text and "](" not in doc.text
    ingest([tmp_path / "docs"], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    index = store.load(tmp_path / "index")
    # A heading opens the paragraph of its section; the short list items and table rows, which the
    # link-list rule would take for page furniture in scraped text, are kept.
    texts = [p.text for p in index.paragraphs]
    assert texts[0].startswith("Zephyr Rover notes\nBackground\nThe Zephyr rover")
    assert "Its instruments:\n" not in texts and any("Drill\nSpectrometer\nWide camera" in t for t in texts)
    assert index.manifest["documents"]["notes.md"]["removed"] == []
    table = next(p for p in index.paragraphs if "Kestrel" in p.text)
    assert [table.text[a:b] for a, b in table.sentences] == ["part: wheels; supplier: Kestrel Motors.",
                                                              "part: solar panels; supplier: Aurora Cells."]
    answer = Searcher(tmp_path / "index", fake_settings.with_overrides(abstain="never"), fake_encoder).ask(
        "Which supplier makes the wheels?")
    assert answer.citations[0].quote == "part: wheels; supplier: Kestrel Motors."


def test_a_pdf_with_only_an_owner_password_is_read_one_that_needs_a_password_is_refused(tmp_path):
    from fpdf import FPDF

    from fpdf.enums import EncryptionMethod

    for user in ("", "secret"):
        pdf = FPDF()
        # AES, as most PDF writers use now (pdfminer.six needs `cryptography` for it).
        pdf.set_encryption(owner_password="owner", user_password=user, encryption_method=EncryptionMethod.AES_128)
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 10, "The probe carried eleven instruments.")
        pdf.output(str(tmp_path / f"locked-{bool(user)}.pdf"))
    assert read_document(tmp_path / "locked-False.pdf").text.strip() == "The probe carried eleven instruments."
    with pytest.raises(UnreadableFileError, match="encrypted .it needs a password to open"):
        read_document(tmp_path / "locked-True.pdf")


def test_markdown_tables_in_lists_headings_over_html_and_scripts():
    from citewise.load import markdown_text

    text, _ = markdown_text("- first\n- second\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n- third\n")
    assert text == "first\nsecond\na: 1; b: 2.\nthird"  # a table inside a list item stays in the list
    text, _ = markdown_text("# Title\n\n<p align=center><img src=logo.png></p>\n\nBody text here.\n")
    assert text == "Title\nBody text here."  # the heading still opens its section
    assert markdown_text("<script>var x = 1;</script>\n\nText.\n")[0] == "Text."


def test_markdown_fields_hard_breaks_numbered_steps_and_a_lists_lead_in_keep_their_lines():
    from citewise.load import markdown_text
    from citewise.text import sentence_spans

    minutes = ("**Date:** Tuesday, 12 March 2024\n**Chair:** Priya Raman  \n**Apologies:** Sofia Conti\n\n"
               "A sentence wrapped\nat eighty columns.\n\nTo descale:\n\n1. Empty the tank.\n2. Fill it.\n")
    text, structural = markdown_text(minutes)
    assert text == ("Date: Tuesday, 12 March 2024\nChair: Priya Raman\nApologies: Sofia Conti\n\n"
                    "A sentence wrapped at eighty columns.\n\nTo descale:\n1. Empty the tank.\n2. Fill it.")
    assert {text.index(x) for x in ("Chair:", "To descale:", "2. Fill")} <= structural
    # a list item's number stays with its sentence, as does a numbered heading's
    spans = sentence_spans("1. Empty the tank.\n5. Action items\n3.3 Hotels are booked. 2. Next one.")
    assert [t for t in ("1. Empty the tank.", "5. Action items", "3.3 Hotels are booked.", "2. Next one.")] == [
        "1. Empty the tank.\n5. Action items\n3.3 Hotels are booked. 2. Next one."[a:b] for a, b in spans]


def test_an_html_faq_question_heading_opens_its_answer_and_is_never_quoted_as_the_answer(tmp_path):
    from citewise.pipeline import Searcher, ingest

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "faq.html").write_text(
        "<html><body><article><h1>Solar subscription: frequently asked questions</h1>"
        "<h2>Can I take the panels with me when I move?</h2><p>No. Relocating panels to a new address is "
        "not part of the service, so the buyer of the house takes over the contract.</p>"
        "<h2>How long is the contract?</h2><p>The minimum contract term is fifteen years for every plan.</p>"
        "<ul><li>Basic plan</li><li>Plus plan</li></ul></article></body></html>")
    text = read_document(tmp_path / "docs" / "faq.html").text
    assert ("Can I take the panels with me when I move?\nNo. Relocating panels" in text
            and "Basic plan\nPlus plan" in text and "<" not in text and "#" not in text)
    ingest([tmp_path / "docs"], tmp_path / "index", progress=False)  # the real model: what decides the lead
    answer = Searcher(tmp_path / "index").ask("Can I take the solar panels with me if I move house?")
    quoted = [t for t, _ in answer.sentences]
    assert quoted[0].startswith("No. Relocating panels") and not any(t.endswith("?") for t in quoted)


def test_wrapped_prose_stays_one_line_and_an_html_table_without_header_keeps_its_rows():
    from citewise.load import markdown_text

    assert markdown_text("We agreed to buy three things for the\nannual office party: balloons and cake.\n")[0] == \
        "We agreed to buy three things for the annual office party: balloons and cake."
    text, _ = markdown_text("| Weight | 6.4 kg |\n| Price | EUR 199 |\n| Colours | red | black |\n")
    assert text == "Weight: 6.4 kg.\nPrice: EUR 199.\nColours; red; black."
    assert markdown_text("1. one\n\n   ```\n   code\n   ```\n\n- apple\n")[0].endswith("apple")  # no stray "1. "


def test_a_paragraph_over_a_page_break_cites_the_page_of_its_quote(tmp_path, fake_encoder, fake_settings):
    """A quote printed on page 2 of a paragraph that starts on page 1 is cited as p. 2 (it said p. 1)."""
    from fpdf import FPDF

    from citewise.pipeline import ingest
    from citewise.types import Citation

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    filler = "The survey team walked the northern ridge and logged every marker they found there. " * 40
    pdf.multi_cell(0, 8, filler + "The contractor Aguaclara Ingenieria will build the cooling system.",
                   new_x="LMARGIN", new_y="NEXT")
    (tmp_path / "docs").mkdir()
    pdf.output(str(tmp_path / "docs" / "report.pdf"))
    ingest([tmp_path / "docs"], tmp_path / "index", fake_settings, fake_encoder, progress=False)
    (p,) = [p for p in store.load(tmp_path / "index").paragraphs if "Aguaclara" in p.text]
    at = p.text.index("The contractor Aguaclara")
    assert p.page == 1 and len(p.page_turns) == 1 and p.page_at(at) == 2 and p.page_at(0) == 1
    quote = Citation(1, p, p.text[at:], at, len(p.text), 1.0).to_dict()
    assert quote["page"] == 2


def test_a_list_number_set_apart_from_its_text_joins_it():
    """A hanging indent ("3." in a cell of its own, the text to its right) is laid out as two
    boxes; the item was "3." alone and its text a paragraph of its own."""
    from citewise.load import pdf_document

    lines = [Line("Recommendations", 40.0, 50.0, 13.0, True),
             Line("Seal the gap near the old mill.", 60.0, 62.0, 11.0), Line("1.", 60.2, 50.0, 11.0),
             Line("Install a second river gauge upstream at", 74.0, 62.0, 11.0), Line("2.", 74.1, 50.0, 11.0),
             Line("Fenwick Bridge.", 88.0, 62.0, 11.0)]
    assert pdf_document([Page(tuple(lines))]).text.strip() == (
        "Recommendations\n1. Seal the gap near the old mill.\n"
        "2. Install a second river gauge upstream at Fenwick Bridge.")


def test_a_table_without_ruling_lines_is_read_by_row_and_two_columns_of_prose_are_not_one():
    """Cells aligned in columns without lines were kept a column at a time ("HX-101 HX-102 ...")
    and their values removed as link lists; two columns of prose side by side stay prose."""
    from citewise.pdf import text_tables

    def row(top, *cells):
        return [[Line(text, top, x, 10.0)] for text, x in zip(cells, (50.0, 150.0, 250.0, 350.0))]

    layout = [[Line("The table lists each van.", 30.0, 50.0, 10.0)]]
    layout += row(50.0, "Van", "Mileage", "Mechanic") + row(62.0, "HX-101", "48,200", "Tom Briggs") \
        + row(74.0, "HX-102", "61,950", "Sara Okoye")
    lines, tables = text_tables(layout)
    assert [ln.text for ln in lines] == ["The table lists each van."]
    assert tables[0].rows == (("Van", "Mileage", "Mechanic"), ("HX-101", "48,200", "Tom Briggs"),
                              ("HX-102", "61,950", "Sara Okoye"))
    prose = [[Line("Samples were collected", 50.0 + 12 * k, 50.0, 10.0)] for k in range(4)] + \
        [[Line("Rainfall was recorded", 50.0 + 12 * k, 300.0, 10.0)] for k in range(4)]
    lines, tables = text_tables(prose)
    assert not tables and len(lines) == 8


def test_list_numbers_at_a_page_edge_and_in_a_hanging_indent_stay_the_items():
    """A review found a hanging-indent list read as a two-column table ("1.: Close the inlet
    valve."), a lone "2." at a page's foot removed as a page number, and a year heading removed too."""
    from citewise.load import pdf_document

    def item(n, text, top):
        return [Line(f"{n}.", top, 42.0, 11.0), Line(text, top, 76.0, 11.0)]

    steps = [Line("Service the filter in order:", 40.0, 42.0, 11.0)] + item(1, "Close the inlet valve.", 54.0) \
        + item(2, "Drain the filter housing.", 68.0) + item(3, "Replace the cartridge.", 82.0)
    doc = pdf_document([Page(tuple(steps))])
    assert doc.text.strip() == ("Service the filter in order:\n1. Close the inlet valve.\n2. Drain the filter housing.\n"
                                "3. Replace the cartridge.")
    pages = [Page(tuple([Line("2024", 30.0, 42.0, 16.0, True), Line("Steps to follow today.", 50.0, 42.0, 11.0)]
                        + item(1, "Close the valve.", 64.0))),
             Page(tuple(_lines("The tank is drained next.", top=30.0) + item(2, "Drain the tank.", 44.0)))]
    doc = pdf_document(pages)
    assert "2. Drain the tank." in doc.text and doc.text.startswith("2024\n") and not doc.furniture


def test_docx_numbers_follow_words_lists_and_numbered_headings_open_their_sections(tmp_path):
    """Numbers are counted per list and go on across a note between items, bullets count nothing
    (a review found "3. Close the valve" after two bullets and steps restarting at "1."), and a
    numbered heading style opens its section with its number."""
    import copy

    import docx

    d = docx.Document()
    d.add_paragraph("You will need:")
    d.add_paragraph("A ladder", style="List Bullet")
    d.add_paragraph("A torch", style="List Bullet")
    d.add_paragraph("Close the valve", style="List Number")
    d.add_paragraph("Drain the tank", style="List Number")
    d.add_paragraph("Wait ten minutes before going on.")
    d.add_paragraph("Open the lid", style="List Number")
    d.save(tmp_path / "steps.docx")
    assert read_document(tmp_path / "steps.docx").text == (
        "You will need:\nA ladder\nA torch\n1. Close the valve\n2. Drain the tank\n\n"
        "Wait ten minutes before going on.\n\n3. Open the lid")
    d = docx.Document()
    numbered = d.styles["List Number"].element.pPr.numPr  # Word's numbered headings carry a numbering
    for title, body in (("Scope", "The audit covers the two plants."), ("Findings", "Both plants passed.")):
        heading = d.add_heading(title, 1)
        heading._p.get_or_add_pPr().append(copy.deepcopy(numbered))
        d.add_paragraph(body)
    d.save(tmp_path / "audit.docx")
    assert read_document(tmp_path / "audit.docx").text == (
        "1. Scope\nThe audit covers the two plants.\n\n2. Findings\nBoth plants passed.")


def test_markdown_front_matter_is_not_text():
    from citewise.load import markdown_text

    text, _ = markdown_text("---\ntitle: Configuration guide\nweight: 20\n---\n# Configuration\n\n"
                            "Set max_retries to 5.\n\n---\n\nA rule above is a thematic break, not front matter.\n")
    assert text == "Configuration\nSet max_retries to 5.\n\nA rule above is a thematic break, not front matter."
    # A document that opens with a rule has no front matter: its first paragraph stays.
    text, _ = markdown_text("---\n\nThe scheduler dispatches jobs over Redis.\n\n---\n\n## Workers\n\nFour jobs each.\n")
    assert text.startswith("The scheduler dispatches jobs over Redis.")


def test_html_preformatted_text_keeps_its_lines(tmp_path):
    from citewise.load import read_html

    prose = "<p>" + "Redis must be configured as follows for production use of the scheduler. " * 3 + "</p>"
    page = tmp_path / "tuning.html"
    page.write_text(f"<html><body><article><h1>Tuning</h1>{prose}<pre>maxmemory 4gb\nmaxmemory-policy noeviction\n"
                    f"appendonly yes</pre>{prose}</article></body></html>", encoding="utf-8")
    text = read_html(page).text
    assert "maxmemory 4gb\nmaxmemory-policy noeviction\nappendonly yes" in text


CHANGELOG = """# Changelog

All notable changes to Lanternfish are documented here.

## 2.4.0 - 2025-02-03

### Added

- Job dependencies can now be declared in YAML files.

### Changed

- The default value of max_retries was raised from 3 to 5.

## 2.3.0 - 2024-10-21

### Removed

- Support for Python 3.8 and 3.9 was dropped.
- The legacy XML-RPC interface was removed; use the REST API instead.
"""

def test_a_subsections_first_paragraph_carries_the_titles_of_the_sections_it_is_in():
    """A changelog's "Changed" list opens with its version's heading too (it was cut off from it)."""
    from citewise.load import markdown_text

    text, structural = markdown_text(CHANGELOG)
    blocks = text.split("\n\n")
    assert blocks[0] == "Changelog\nAll notable changes to Lanternfish are documented here."
    assert blocks[1] == "2.4.0 - 2025-02-03\nAdded\nJob dependencies can now be declared in YAML files."
    assert blocks[2] == "2.4.0 - 2025-02-03\nChanged\nThe default value of max_retries was raised from 3 to 5."
    assert text.index(blocks[2]) in structural  # the repeated title is a structural line, not prose
    # The document's one top-level title is not repeated over every section.
    assert not any(b.startswith("Changelog") for b in blocks[1:])
    # With two top-level headings, each is a section's title like any other.
    assert markdown_text("# A\n\n## B\n\nText b.\n\n# C\n\n## D\n\nText d.\n")[0] == "A\nB\nText b.\n\nC\nD\nText d."
    # An empty subsection closed by its sibling does not make the section's title go missing.
    assert markdown_text("## A\n\ntext a.\n\n### B\n\n### C\n\ntext c.\n")[0] == "A\ntext a.\n\nA\nB\nC\ntext c."
    assert markdown_text("## A\n\ntext a.\n\n### B\n\n#### D\n\n### E\n\ntext e.\n")[0] \
        == "A\ntext a.\n\nA\nB\nD\nE\ntext e."
    # A later paragraph of the same section is not given the titles again.
    assert markdown_text("## A\n\n### B\n\nOne.\n\nTwo.\n")[0] == "A\nB\nOne.\n\nTwo."


PROJECT_README = """# Lanternfish

Lanternfish is a lightweight job scheduler for small clusters.

## Requirements

- Python 3.10 or newer
- Redis 6.2 or later
- PostgreSQL 14

Windows is not supported.
"""


def test_section_titles_count_for_the_sentences_under_them_and_only_titles_do(tmp_path):
    """The real model and a real index: a changelog item is matched with its version's heading;
    list items under a heading lend each other nothing (only lines that were headings count)."""
    from citewise.answer import heading_terms, sentence_scores
    from citewise.pipeline import Searcher, ingest
    from citewise.text import terms

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    (docs / "README.md").write_text(PROJECT_README, encoding="utf-8")
    ingest([docs], tmp_path / "index", progress=False)
    searcher = Searcher(tmp_path / "index")
    paragraphs = {p.text.split("\n")[-1]: p for p in searcher.index.paragraphs}
    removed = paragraphs["The legacy XML-RPC interface was removed; use the REST API instead."]
    assert removed.heads == 2 and heading_terms(removed) == set(terms("2.3.0 - 2024-10-21 Removed"))
    requirements = paragraphs["PostgreSQL 14"]
    assert requirements.heads == 1 and heading_terms(requirements) == set(terms("Requirements"))
    assert paragraphs["Windows is not supported."].heads == 0
    # The section's title repeated over its "Changed" subsection stays: cleaning does not take it
    # for a line printed twice (it removed it, so the list was cut off from its version again).
    changed = paragraphs["The default value of max_retries was raised from 3 to 5."]
    assert changed.text.startswith("2.4.0 - 2025-02-03\nChanged\n") and changed.heads == 2
    assert searcher.index.manifest["documents"]["CHANGELOG.md"]["removed"] == []
    assert searcher.index.paragraphs[0].heads == 1  # the document's title over its first paragraph

    def scored(question, paragraph, line):
        r = searcher.retrieve(question)
        row = next(h.row for h in r.hits if h.paragraph.id == paragraph.id)
        texts = [paragraph.text[a:b] for a, b in paragraph.sentences]
        bare = sentence_scores(r.terms, texts, r.sentence_cosines[row], searcher.idf,
                               searcher.settings.sentence_weight)
        return r.sentence_scores[row][texts.index(line)], bare[texts.index(line)]

    # The version the question names counts for the item under its heading.
    with_heading, bare = scored("Which Python versions were dropped in Lanternfish 2.3.0?", removed,
                                "Support for Python 3.8 and 3.9 was dropped.")
    assert with_heading > bare + 0.05
    # An item's words do not count for the items beside it.
    with_heading, bare = scored("Which Redis version is needed?", requirements, "PostgreSQL 14")
    assert with_heading == pytest.approx(bare)
