"""python app.py [--index DIR] [--port N]: the citewise web UI (Gradio), on 127.0.0.1 by default."""
from __future__ import annotations

import argparse
import html
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import citewise  # noqa: F401  (offline environment, analytics off, before gradio is imported)
from citewise.cli import add_answer_options, answer_settings, llm_from_args, open_searcher
from citewise.config import DEFAULT_INDEX
from citewise.errors import CitewiseError

log = logging.getLogger("citewise.app")
HISTORY = 10  # answers kept in the browser across refreshes
EXAMPLES = [
    "How many people attended the gathering at the Astronaut Centre of China?",
    "How many international projects will the China Space Station host?",
    "Which countries will China work with on satellite engineering?",
    "Who is the director of UNOOSA?",
    "How many manned space flights will China make in 2022?",
]


def holds_sample(manifest: dict) -> bool:
    """Whether the index holds the bundled sample corpus: only then are its example questions
    offered (over a user's own documents they would ask about what is not there)."""
    from citewise.config import SAMPLE_CORPUS

    names = {p.name for p in SAMPLE_CORPUS.glob("*.txt")}
    return bool(names) and names <= set(manifest.get("documents", {}))


def build(searcher, llm: Any = None, max_upload_mb: float = 20.0) -> Any:
    """The Gradio Blocks app over a loaded Searcher (and an LLM answerer, when configured)."""
    import threading

    import gradio as gr

    from citewise.config import SUPPORTED_SUFFIXES
    from citewise.pipeline import add_documents, remove_document
    from citewise.uploads import save_uploads

    upload_dir = searcher.index_dir.parent / f"{searcher.index_dir.name}-uploads"
    ingest_lock = threading.Lock()  # one change to the index at a time; questions go on meanwhile
    from citewise.answer import ABSTAIN_LEVELS
    from citewise.render import answer_html, history_html, sources_html

    def checked_level(abstain: str) -> str:
        if abstain not in ABSTAIN_LEVELS:
            raise gr.Error(f"abstain must be one of {', '.join(ABSTAIN_LEVELS)}")
        return abstain

    def ask(question: str, top_k: int = 10, abstain: str = "balanced", answerer: str = "extractive") -> dict:
        """Answer a question from the indexed documents: the same JSON object as `ask --json`.
        answerer: "extractive" (quotes) or "llm" (when the server was started with --llm)."""
        if not question or not question.strip():
            raise gr.Error("Type a question first.")
        if answerer not in ("extractive", "llm") or (answerer == "llm" and llm is None):
            raise gr.Error("answerer must be 'extractive'" + (" or 'llm'" if llm is not None else
                                                             " (start app.py with --llm to add 'llm')"))
        try:
            return searcher.ask(question, top_k=max(1, int(top_k)), llm=llm if answerer == "llm" else None,
                                abstain=checked_level(abstain)).to_dict()
        except CitewiseError as exc:
            raise gr.Error(str(exc)) from exc

    def ask_ui(question: str, top_k: int, abstain: str, answerer: str, past: list):
        """The page's handler: an LLM's reply streams in as a draft, then the checked answer, which
        goes to the top of the page's history in the same step. (A second step after it, reading the
        history anew, could read it before the step of a question asked just before had written it,
        and the history lost that question.)"""
        if not question or not question.strip():
            # Said in the answer's place, not as an error toast over the previous answer.
            yield None, '<div class="cw-meta" data-testid="no-question">Type a question first.</div>', "", \
                gr.update(), gr.update()
            return
        use_llm = answerer == "llm" and llm is not None
        try:
            for part in searcher.ask_stream(question, top_k=max(1, int(top_k)), llm=llm if use_llm else None,
                                            abstain=checked_level(abstain)):
                if isinstance(part, str):
                    draft = (f'<div class="cw-answer cw-draft" data-testid="drafting">{html.escape(part)}'
                             '<div class="cw-meta">writing ... the sentences are checked against the sources '
                             'when it is done</div></div>')
                    yield gr.update(), draft, gr.update(), gr.update(), gr.update()
                else:
                    result = part.to_dict()
                    yield result, answer_html(result), sources_html(result), *remember(result, past)
        except CitewiseError as exc:
            raise gr.Error(str(exc)) from exc

    def remember(result: dict, past: list | None) -> tuple[list, str]:
        """The history with this answer at its top; a question asked again moves there with its new
        answer instead of being listed twice."""
        earlier = [e for e in past or [] if e["question"] != result["question"]]
        past = ([{"question": result["question"], "result": result}] + earlier)[:HISTORY]
        return past, history_html(past)

    def restore(past: list):
        # The question box and button open only now (they start closed): a question asked before
        # the restored answer arrived had its own answer wiped by it.
        ready = gr.update(interactive=True), gr.update(interactive=True)
        if not past:
            return None, "", "", history_html([]), *ready
        try:
            last = past[0]["result"]
            # Restored from the browser: documents may have been removed or changed since it was asked.
            index = searcher.index
            shown = last.get("citations", []) + last.get("related", [])
            stale = {p["id"] for p in shown if getattr(index.paragraph(p["id"]), "text", None) != p["text"]}
            return last, answer_html(last, stale), sources_html(last, stale), history_html(past), *ready
        except Exception:  # noqa: BLE001 - whatever the browser kept, the page must open
            log.exception("could not restore the stored answer; starting afresh")
            return None, "", "", history_html([]), *ready

    def documents() -> list[list]:
        docs = searcher.index.manifest["documents"]
        return [[name, d["paragraphs"] - len(d.get("duplicates", [])), len(d.get("removed", [])),
                 len(d.get("duplicates", []))] for name, d in sorted(docs.items())]

    def removed(doc: str | None) -> list[list]:
        docs = searcher.index.manifest["documents"]
        if not doc or doc not in docs:
            return []
        return [[r["reason"], r["text"]] for r in docs[doc].get("removed", [])]

    with gr.Blocks(title="citewise") as demo:
        gr.Markdown("# citewise\nAsk a question of your documents. The answer quotes the source paragraphs "
                    "and cites them `[n]` (an LLM's answer is checked sentence by sentence against the "
                    "sources it cites); when the documents do not hold the answer, citewise says so.")
        with gr.Row():
            question = gr.Textbox(label="Question", placeholder="Ask about your documents ...",
                                  scale=5, elem_id="cw-question", interactive=False)
            button = gr.Button("Ask", variant="primary", scale=1, elem_id="cw-ask", interactive=False)
        if holds_sample(searcher.index.manifest):
            gr.Examples(EXAMPLES, inputs=question, label="Examples from the sample corpus")
        with gr.Accordion("Options", open=False):
            with gr.Row():
                top_k = gr.Slider(1, 20, value=searcher.settings.top_k, step=1, label="Paragraphs to retrieve",
                                  elem_id="cw-top-k")
                abstain = gr.Radio(list(ABSTAIN_LEVELS), value=searcher.settings.abstain,
                                   label="Say 'the documents do not say' ...", elem_id="cw-abstain",
                                   info="strict: more readily; never: always answer")
                answerer = gr.Radio(["extractive", "llm"] if llm is not None else ["extractive"],
                                    value="llm" if llm is not None else "extractive", label="Answerer",
                                    elem_id="cw-answerer", info="llm answers are checked against the sources")
        with gr.Row():
            with gr.Column(scale=3):
                answer = gr.HTML(elem_id="cw-answer")
            with gr.Column(scale=4):
                sources = gr.HTML(elem_id="cw-sources")
        with gr.Accordion("Earlier questions", open=True):
            earlier = gr.HTML(elem_id="cw-history")
        # The conversation survives a page refresh: the last answers live in the browser's storage.
        history = gr.BrowserState([], storage_key="citewise-history", secret=browser_secret())
        with gr.Accordion("JSON (the same object as `ask --json`)", open=False):
            raw = gr.JSON()
        with gr.Accordion("Documents in the index, and what cleaning removed from them", open=False,
                          elem_id="cw-documents"):
            docs_table = gr.Dataframe(value=documents, headers=["document", "paragraphs", "lines removed",
                                                                "copies"],
                                      interactive=False, wrap=True, elem_id="cw-docs-table")
            gr.Markdown("*paragraphs*: indexed from it · *lines removed*: page furniture that cleaning took out · "
                        "*copies*: its paragraphs that repeat another document's (stored once)",
                        elem_classes="cw-note")
            names = sorted(searcher.index.manifest["documents"])
            doc = gr.Dropdown(names, value=names[0] if names else None, label="Document",
                              elem_id="cw-removed-doc")
            removed_table = gr.Dataframe(value=removed(names[0] if names else None), headers=["why", "text"],
                                         interactive=False, wrap=True, elem_id="cw-removed")
            doc.change(removed, inputs=doc, outputs=removed_table, api_name="ui_removed", api_visibility="private")
            remove_button = gr.Button("Remove this document from the index", variant="stop", size="sm",
                                      elem_id="cw-remove")
            gr.Markdown(f"**Add documents** ({', '.join(SUPPORTED_SUFFIXES)}; up to {max_upload_mb:g} MB each)")
            # Any type is accepted here: a file of another type or size is listed in the status
            # below with the reason (the browser's own refusal was a toast that vanished).
            files = gr.File(file_count="multiple", elem_id="cw-upload", label="Drop files here")
            add_button = gr.Button("Add to the index", variant="primary", size="sm", elem_id="cw-add")
            status = gr.HTML(elem_id="cw-ingest-status")

        def listing() -> tuple[list[list], Any, str | None]:
            """The documents table, the dropdown of names and its first name, as the index holds them now."""
            names = sorted(searcher.index.manifest["documents"])
            first = names[0] if names else None
            return documents(), gr.update(choices=names, value=first), first

        def refreshed(message: str):
            return message, *listing()[:2]

        def said(summary: str, items: Sequence[tuple[str, str, str]] = ()) -> str:
            """The status as HTML: a summary, then (what, document, why) items; names are shown as they
            are stored (escaped, never read as markup)."""
            rows = "".join(f"<li>{what} <strong>{html.escape(name)}</strong>{': ' + html.escape(why) if why else ''}</li>"
                           for what, name, why in items)
            return f"<p>{html.escape(summary)}</p>" + (f"<ul>{rows}</ul>" if rows else "")

        def add(paths: list[str] | None, progress=gr.Progress()):
            if not paths:
                # Said in the status, not raised: an error would mark every output of this click as failed.
                return said("Choose or drop files first."), gr.update(), gr.update(), gr.update()
            progress(0.1, desc="Saving uploads")
            uploads = [(Path(p).name, Path(p)) for p in paths]
            saved, skipped = save_uploads(uploads, upload_dir, int(max_upload_mb * 1e6))
            items = [("skipped", Path(s.path).name, s.reason) for s in skipped]
            summary = "Nothing added."
            if saved:
                progress(0.3, desc=f"Indexing {len(saved)} file(s)")
                with ingest_lock:
                    try:
                        report = add_documents(searcher.index_dir, saved, searcher.settings, searcher.encoder)
                    except CitewiseError as exc:
                        return (said(f"Nothing indexed: {exc}. The uploaded files are saved in {upload_dir.name}/ "
                                     "(a file of the same name there was replaced).", items),
                                gr.update(), gr.update(), gr.update())
                same = [d for d in report.unchanged if d in {f.doc for f in saved}]
                summary = (f"Added {len(report.added)}, replaced {len(report.changed)} document(s); embedded "
                           f"{report.embedded} paragraph(s) in {report.seconds:.1f}s; the index now holds "
                           f"{report.documents} documents, {report.paragraphs} paragraphs.")
                items = [("added", d, "") for d in report.added] + \
                    [("replaced", d, "the earlier file of this name is no longer indexed") for d in report.changed] + \
                    [("unchanged", d, "already in the index as it is") for d in same] + items + \
                    [("skipped", Path(s.path).name, s.reason) for s in report.skipped]
            progress(1.0)
            # The drop zone is emptied, so that a second click does not send the same files again.
            return *refreshed(said(summary, items)), None

        def remove(name: str | None):
            if not name:  # none chosen, or the page's "are you sure?" was answered no
                return said("Nothing removed."), gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
            with ingest_lock:
                try:
                    report = remove_document(searcher.index_dir, name, searcher.settings, searcher.encoder)
                except CitewiseError as exc:
                    return *refreshed(said(f"Nothing removed: {exc}")), gr.update(), gr.update(), gr.update()
            # An answer on screen may cite the removed document: it is cleared rather than left standing.
            return *refreshed(said(f"Removed {name}; the index now holds {report.documents} documents, "
                                   f"{report.paragraphs} paragraphs.")), "", "", None

        def opened():
            """On every page load: the documents as the index holds them now (others may have added
            or removed some since the server started)."""
            table, choices, first = listing()
            return table, choices, removed(first)

        # Callable by clients (same limits and safe names as the page), not advertised in the API docs.
        add_button.click(add, inputs=files, outputs=[status, docs_table, doc, files], api_name="ui_add",
                         api_visibility="undocumented")
        # Removing is asked about first in the page: a wrong click in the dropdown above must not cost a document.
        remove_button.click(remove, inputs=doc, outputs=[status, docs_table, doc, answer, sources, raw],
                            api_name="ui_remove", api_visibility="private",
                            js="(name) => (name && confirm('Remove ' + name + ' from the index? Its paragraphs are "
                               "deleted from the index (the file itself is not touched).')) ? name : null")
        # The button and Enter are one event: the latest question asked while another is being
        # answered is answered next (always_last; it was dropped), never two at once from one page.
        # The history is read when the question is sent: one deferred by always_last is sent after the
        # one before it is answered, and reads the history that answer wrote.
        gr.on([button.click, question.submit], ask_ui, inputs=[question, top_k, abstain, answerer, history],
              outputs=[raw, answer, sources, history, earlier], api_name="ui_ask", api_visibility="private",
              trigger_mode="always_last")
        demo.load(restore, inputs=history, outputs=[raw, answer, sources, earlier, question, button],
                  api_name="ui_restore", api_visibility="private", show_progress="hidden")
        demo.load(opened, outputs=[docs_table, doc, removed_table], api_name="ui_documents",
                  api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


def browser_secret() -> str | None:
    """The key the page encrypts its stored history with, kept in the per-user cache (0600) so that
    the history outlives a restart of the server: Gradio's default key is new at every start, and
    what the browser kept before could no longer be read. None (Gradio's own) where the cache
    cannot be written."""
    import secrets

    from citewise.onnx_encoder import cache_root

    path = cache_root() / "browser-secret"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created once; two servers starting together read the one that won
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip() or None
        secret = secrets.token_urlsafe(24)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secret)
        return secret
    except OSError as exc:
        log.warning("the stored history will not outlive a restart: %s", exc)
        return None


def upload_cap_mb(limit_mb: float) -> float:
    """What the server takes in at all: above the limit that citewise indexes, so that a file just
    over it is refused with its size in the status, not by a toast; far above it, refused at once."""
    return 2 * limit_mb + 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The citewise web UI.")
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX, help="index folder (default: index/)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--auth", metavar="USER:PASSWORD", default=os.environ.get("CITEWISE_AUTH"),
                        help="require this login (or set CITEWISE_AUTH); use it whenever --host is not 127.0.0.1")
    parser.add_argument("--max-upload-mb", type=float, default=20.0, help="largest file accepted (default 20)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    add_answer_options(parser)
    args = parser.parse_args(argv)
    from citewise.config import Settings

    try:
        settings = Settings(**answer_settings(args))
    except ValueError as exc:
        parser.error(str(exc))
    try:
        searcher = open_searcher(args.index, settings)
        searcher.log = lambda message: print(message, file=sys.stderr)  # a new index, taken up while serving
        llm = llm_from_args(args)
    except CitewiseError as exc:
        print(f"app.py: error: {exc}", file=sys.stderr)
        return 1
    from citewise.render import CSS

    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep or not user or not password:
            print("app.py: error: --auth takes USER:PASSWORD", file=sys.stderr)
            return 2
        auth = (user, password)
    elif args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"app.py: warning: serving on {args.host} without --auth: anyone who can reach it can ask "
              "and upload", file=sys.stderr)
    demo = build(searcher, llm, args.max_upload_mb)
    try:  # load the reader and start the encoder now: the first question took 3 s more than the rest
        searcher.ask("What is this about?")
    except Exception as exc:  # noqa: BLE001 -- a warm-up never stops the server; a real question says what is wrong
        print(f"app.py: warning: the warm-up question failed ({type(exc).__name__}); serving anyway", file=sys.stderr)
    print(f"citewise: serving {args.index} at http://{args.host}:{args.port}", file=sys.stderr)
    demo.queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port, css=CSS, auth=auth,
                                                   max_file_size=f"{upload_cap_mb(args.max_upload_mb):g}mb",
                                                   show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
