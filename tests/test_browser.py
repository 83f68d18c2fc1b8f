"""The web UI in a real browser: Debian's chromium driven by Playwright, against the real server."""
import socket
import subprocess
import sys
import time

import pytest

from conftest import OUTPUT, ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(index, *extra, port: int | None = None):
    port = port or _free_port()
    proc = subprocess.Popen([sys.executable, "app.py", "--index", str(index), "--port", str(port), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {proc.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("app.py did not start listening within 180 s")
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def server(sample_index):
    proc, url = _serve(sample_index)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def test_ask_in_the_browser_and_see_a_cited_answer(server, browser):
    from playwright.sync_api import expect

    OUTPUT.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server)
    expect(page.get_by_text("Examples from the sample corpus")).to_have_count(1)  # the sample is indexed
    page.locator("#cw-question textarea").fill("Who is the chief designer of China's manned space program?")
    page.locator("#cw-ask").click()
    answer = page.locator("[data-testid=answer]")
    answer.wait_for(timeout=60_000)
    assert "Zhou Jianping" in answer.inner_text() and "[1]" in answer.inner_text()
    assert page.locator("[data-testid=short-answer] strong").inner_text() == "Zhou Jianping"
    card = page.locator("[data-testid=citation]").first
    assert "paragraph" in card.inner_text()
    assert "Zhou Jianping" in card.locator("mark").inner_text()  # the quoted sentence is highlighted
    assert "cosine" in card.locator("[data-testid=scores]").inner_text()  # why it was cited
    answer.locator("a.cw-cite").first.click()
    assert page.url.endswith("#cw-cite-1")
    page.screenshot(path=str(OUTPUT / "answer-1280x800.png"), full_page=True)
    # The answer and the question stay after a refresh.
    page.reload()
    page.locator("[data-testid=history]").wait_for(timeout=60_000)
    assert "chief designer" in page.locator("[data-testid=history]").inner_text()
    assert "Zhou Jianping" in page.locator("[data-testid=answer]").inner_text()
    page.screenshot(path=str(OUTPUT / "after-refresh.png"), full_page=True)
    # A question asked again moves to the top of the history instead of being listed twice.
    items = page.locator("[data-testid=history] li")
    for q, count in (("Who is the Director of UNOOSA?", 2),
                     ("Who is the chief designer of China's manned space program?", 2)):
        page.locator("#cw-question textarea").fill(q)
        page.locator("#cw-ask").click()
        expect(items.first).to_contain_text(q, timeout=60_000)
        expect(items).to_have_count(count)
    page.close()


def test_the_history_outlives_a_restart_of_the_server(sample_index, browser):
    """The page's stored history is encrypted with a key kept in the per-user cache: a server
    started again (same address, so the browser's same storage) still reads it."""
    from playwright.sync_api import expect

    port = _free_port()
    context = browser.new_context()
    for round_ in (1, 2):
        proc, url = _serve(sample_index, port=port)
        try:
            page = context.new_page()
            page.goto(url)
            if round_ == 1:
                page.locator("#cw-question textarea").fill("Who is the Director of UNOOSA?")
                page.locator("#cw-ask").click()
                expect(page.locator("[data-testid=history] li")).to_have_count(1, timeout=60_000)
            else:
                expect(page.locator("[data-testid=history]")).to_contain_text("Director of UNOOSA", timeout=60_000)
                assert "Simonetta Di Pippo" in page.locator("[data-testid=answer]").inner_text()
            page.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    context.close()


def test_a_question_asked_while_one_is_answered_is_answered_next(server, browser):
    """Asked while another is being answered, a second question is answered after it, with its question shown over the answer (it was dropped: the box held the second
    question over the first one's answer); following a citation by keyboard puts focus on its card."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server)
    box = page.locator("#cw-question textarea")
    first, second = "Who is the Director of UNOOSA?", "How many orbits around the Earth did Yang make in Shenzhou 5?"
    box.fill(first)
    # The first question is sent to the server (its answer under way) before the second is typed:
    # pressed within the same moment, the page may send only the second, as the latest question.
    with page.expect_request(lambda r: "queue/join" in r.url):
        box.press("Enter")
    box.fill(second)
    box.press("Enter")
    expect(page.locator("[data-testid=asked]")).to_have_text(f"Q: {second}", timeout=60_000)
    expect(page.locator("[data-testid=short-answer] strong")).to_have_text("14")
    items = page.locator("[data-testid=history] li")
    expect(items).to_have_count(2, timeout=60_000)
    assert second in items.nth(0).inner_text() and first in items.nth(1).inner_text()
    page.locator("[data-testid=answer] a.cw-cite").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cw-cite-1")).to_be_focused()
    page.close()


def test_unanswerable_question_looks_different(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(server)
    page.locator("#cw-question textarea").fill("What fuel does the Long March 5 rocket burn?")
    page.locator("#cw-ask").click()
    page.locator("[data-testid=abstained]").wait_for(timeout=60_000)
    assert "do not say" in page.locator("[data-testid=abstained]").inner_text()
    assert page.locator("[data-testid=citation]").count() == 0
    assert "Related paragraphs (not support)" in page.locator("#cw-sources").inner_text()
    # The question's words that no document holds are named under the answer.
    absent = page.locator("[data-testid=not-in-documents]").inner_text()
    # "march" is in the corpus only inside "March-6A": it is there for a reader, so not named.
    assert "fuel" in absent and "burn" in absent and "rocket" not in absent and "march" not in absent
    page.screenshot(path=str(OUTPUT / "abstained-mobile.png"), full_page=True)
    # A name that no document holds: the answer says so, and why.
    page.locator("#cw-question textarea").fill("Which Indian astronaut trained in China?")
    page.locator("#cw-ask").click()
    page.locator("[data-testid=abstained] [data-testid=reason]").wait_for(timeout=60_000)
    assert page.locator("[data-testid=reason]").inner_text() == "No indexed document names or spells out: Indian."
    page.close()


XSS_DOC = """The Zorblax engine was tested in <script>window.__xss = 1</script> the desert in 2019.

Its designer said <img src=x onerror="window.__xss = 2"> the Zorblax engine burns kerosene and liquid oxygen.
"""


def test_document_markup_is_shown_as_text_never_run(tmp_path, browser):
    from citewise.pipeline import ingest

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "xss.txt").write_text(XSS_DOC)
    ingest([docs], tmp_path / "index", progress=False)
    proc, url = _serve(tmp_path / "index")
    try:
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        # The sample's example questions are not offered over other documents.
        page.locator("#cw-question textarea").wait_for(timeout=60_000)
        assert page.get_by_text("Examples from the sample corpus").count() == 0
        page.locator("#cw-question textarea").fill("What does the Zorblax engine burn?")
        page.locator("#cw-ask").click()
        page.locator("[data-testid=citation]").first.wait_for(timeout=60_000)
        card = page.locator("[data-testid=citation]").first.inner_text()
        assert '<img src=x onerror="window.__xss = 2">' in card  # shown literally
        assert page.evaluate("window.__xss") is None and dialogs == []
        assert page.locator("#cw-sources img").count() == 0 and page.locator("#cw-sources script").count() == 0
        page.screenshot(path=str(OUTPUT / "xss-as-text.png"), full_page=True)
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_documents_view_shows_removed_boilerplate(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server)
    page.get_by_text("Documents in the index").click()
    page.locator("#cw-removed").wait_for(timeout=30_000)
    # The first document has nothing removed; choose the one with the donation appeal.
    page.locator("#cw-removed-doc input").click()
    page.get_by_role("option", name="003_4e0ba100935570fa.txt").click()
    table = page.locator("#cw-removed")
    from playwright.sync_api import expect

    expect(table).to_contain_text("by Staff Writers", timeout=30_000)
    text = table.inner_text()  # the table renders the rows in view: the first ones
    assert "byline" in text and "related-links or read-more header" in text and "link list" in text
    page.screenshot(path=str(OUTPUT / "documents-removed.png"), full_page=True)
    page.close()


def test_gradio_api_ask_returns_the_cli_json(server):
    from gradio_client import Client

    client = Client(server + "/", verbose=False)
    result = client.predict("Who is the chief designer of China's manned space program?", api_name="/ask")
    assert result["abstained"] is False and result["short_answer"] == "Zhou Jianping"
    assert result["citations"][0]["quote"] in result["citations"][0]["text"]
    never = client.predict("What fuel does the Long March 5 rocket burn?", 3, "never", api_name="/ask")
    assert never["abstained"] is False and len(never["retrieved"]) == 3


def test_llm_answer_shows_unsupported_sentences(sample_index, browser):
    from test_llm import ChatServer

    chat = ChatServer()
    chat.delay = 0.4  # slow enough to see the draft stream in
    chat.reply = ("Zhou Jianping is the chief designer of China's manned space program [1]. "
                  "He also invented the telescope [1].")
    proc, url = _serve(sample_index, "--llm", "openai-compatible", "--base-url", chat.url, "--model", "ui-model")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.locator("#cw-question textarea").fill("Who is the chief designer of China's manned space program?")
        page.locator("#cw-ask").click()
        page.locator("[data-testid=drafting]").wait_for(timeout=60_000)  # the reply streams in as a draft
        page.locator("[data-testid=answer]").wait_for(timeout=60_000)
        unsupported = page.locator("[data-testid=unsupported]")
        assert unsupported.count() == 1 and "telescope" in unsupported.inner_text()
        assert "not supported" in unsupported.inner_text()
        assert "Zhou Jianping" in page.locator("[data-testid=answer]").inner_text()
        page.screenshot(path=str(OUTPUT / "llm-unsupported.png"), full_page=True)
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        chat.close()


def test_upload_a_document_then_ask_it_and_remove_it(sample_index, tmp_path, browser):
    import shutil

    index = tmp_path / "index"
    shutil.copytree(sample_index, index)  # the session index stays as it is
    other = tmp_path / "elsewhere"
    other.mkdir()
    # "[2]" is the document's own footnote mark: shown as text, never as a citation link.
    (other / "comet report.md").write_text("# Comet Zorya\n\nThe comet Zorya was discovered in 2031 [2] by the "
                                           "Atacama survey telescope.\n")
    (other / "table.csv").write_text("a,b\n1,2\n")
    (other / "big.txt").write_text("The comet is bright. " * 60_000)  # 1.26 MB, over the 1 MB limit below
    proc, url = _serve(index, "--max-upload-mb", "1")
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.get_by_text("Documents in the index").click()
        from playwright.sync_api import expect

        page.locator("#cw-add").click()  # no file chosen: said in the status, nothing fails
        expect(page.locator("#cw-ingest-status")).to_contain_text("Choose or drop files first.", timeout=30_000)
        # A file of another type or just over the limit is named in the status with the reason (the
        # browser refused them with a toast that vanished, and the status said "Choose ... first").
        page.locator("#cw-upload input[type=file]").set_input_files(
            [str(other / "comet report.md"), str(other / "table.csv"), str(other / "big.txt")])
        page.locator("#cw-add").click()
        expect(page.locator("#cw-ingest-status")).to_contain_text("Added 1", timeout=120_000)
        items = page.locator("#cw-ingest-status li")
        expect(items).to_have_count(3)
        assert items.nth(0).inner_text() == "added uploads/comet report.md"
        assert "skipped table.csv: unsupported type" in items.nth(1).inner_text()
        assert "skipped big.txt: too large (1.3 MB; the upload limit is 1 MB)" in items.nth(2).inner_text()
        # The same name again with other text replaces it, and says so.
        (tmp_path / "again").mkdir()
        (tmp_path / "again" / "comet report.md").write_text(
            (other / "comet report.md").read_text() + "\nIts tail was 3 million km long.\n")
        page.locator("#cw-upload input[type=file]").set_input_files(str(tmp_path / "again" / "comet report.md"))
        page.locator("#cw-add").click()
        expect(page.locator("#cw-ingest-status")).to_contain_text("replaced 1", timeout=120_000)
        expect(page.locator("#cw-ingest-status li")).to_contain_text("replaced uploads/comet report.md")
        expect(page.locator("#cw-docs-table")).to_contain_text("uploads/comet report.md")
        page.screenshot(path=str(OUTPUT / "upload-done.png"), full_page=True)
        # A page opened after the upload lists the new document for removal too (below).
        page.reload()
        page.get_by_text("Documents in the index").click()
        expect(page.locator("#cw-docs-table")).to_contain_text("uploads/comet report.md", timeout=60_000)
        page.locator("#cw-question textarea").fill("Which telescope discovered the comet Zorya?")
        page.locator("#cw-ask").click()
        card = page.locator("[data-testid=citation]").first
        card.wait_for(timeout=60_000)
        assert "uploads/comet report.md" in card.inner_text() and "Atacama" in card.inner_text()
        answer = page.locator("#cw-answer")
        assert "2031 [2] by" in answer.inner_text()
        links = answer.locator("a.cw-cite")
        assert links.count() >= 1
        assert {links.nth(i).get_attribute("data-cite") for i in range(links.count())} == {"1"}
        assert "comet report.md" in (links.first.get_attribute("aria-label") or "")
        # The upload zone was emptied after the add; removing asks first, and "no" removes nothing.
        assert page.locator("#cw-upload").get_by_text("comet report.md").count() == 0
        page.locator("#cw-removed-doc input").click()
        page.get_by_role("option", name="uploads/comet report.md").click()
        asked = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.locator("#cw-remove").click()
        expect(page.locator("#cw-ingest-status")).to_contain_text("Nothing removed", timeout=60_000)
        assert asked and "comet report.md" in asked[0]
        expect(page.locator("#cw-docs-table")).to_contain_text("comet report")
        page.once("dialog", lambda d: d.accept())
        page.locator("#cw-remove").click()
        expect(page.locator("#cw-ingest-status")).to_contain_text("Removed", timeout=120_000)
        expect(page.locator("#cw-docs-table")).not_to_contain_text("comet report")
        # The answer that cited the removed document is gone from the page.
        expect(page.locator("[data-testid=citation]")).to_have_count(0)
        # An empty question is answered in place: no error badge, nothing added to the history.
        page.locator("#cw-question textarea").fill("")
        page.locator("#cw-ask").click()
        expect(page.locator("[data-testid=no-question]")).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid=history] li").count() == 1
        # After a refresh the last answer comes back from the browser's storage, saying that the
        # document it cites has been removed since.
        page.reload()
        expect(page.locator("[data-testid=stale]")).to_contain_text("[1]", timeout=60_000)
        expect(page.locator(".cw-stale")).to_contain_text("no longer in the index")
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_auth_is_required_when_set(sample_index):
    import urllib.error
    import urllib.request

    from gradio_client import Client

    proc, url = _serve(sample_index, "--auth", "reader:s3cret")
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url + "/gradio_api/info", timeout=30)
        assert err.value.code == 401
        client = Client(url + "/", auth=("reader", "s3cret"), verbose=False)
        assert client.predict("Who is the Director of UNOOSA?", api_name="/ask")["short_answer"] == "Simonetta Di Pippo"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_concurrent_users_and_an_upload_meanwhile(sample_index, tmp_path):
    """Users ask through the API while a document is added: no errors (the swap is atomic)."""
    import shutil
    import threading

    from gradio_client import Client, handle_file

    from eval.loadtest import run

    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    proc, url = _serve(index)
    try:
        (tmp_path / "new.txt").write_text("The Zorya comet was discovered in 2031 by a survey telescope.")
        uploader = threading.Thread(target=lambda: Client(url + "/", verbose=False).predict(
            [handle_file(str(tmp_path / "new.txt"))], api_name="/ui_add"))
        result = {}
        asker = threading.Thread(target=lambda: result.update(run(url + "/", users=8, seconds=15)))
        asker.start()
        time.sleep(3)
        uploader.start()
        uploader.join(timeout=180)
        asker.join(timeout=300)
        assert result["requests"] >= 8 and result["errors"] == 0, result  # every user answered, none failed
        manifest = (index / "manifest.json").read_text()
        assert "uploads/new.txt" in manifest
    finally:
        proc.terminate()
        proc.wait(timeout=30)
