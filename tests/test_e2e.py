"""End to end with the real bundled model on the bundled sample corpus."""
import json
import subprocess
import sys

from conftest import ROOT


def test_known_question_cites_the_known_paragraph(searcher):
    ans = searcher.ask("Which countries will China work with on satellite engineering and technology?")
    assert not ans.abstained
    first = ans.citations[0]
    # The story is syndicated: both copies (003 and 004) hold the paragraph.
    assert first.paragraph.doc in {"003_4e0ba100935570fa.txt", "004_85d859092cc8430c.txt"}
    assert "Italy, Brazil and Pakistan" in first.quote
    assert first.paragraph.text[first.quote_start:first.quote_end] == first.quote
    assert "[1]" in ans.answer and "Italy, Brazil and Pakistan" in ans.answer


def test_what_happened_is_answered_from_what_happened_not_from_a_plan(searcher):
    # "China will make six manned space flights in 2022" matches "first manned" better, but it is a
    # plan; the sample's answer is "its first spaceflight in 2003".
    ans = searcher.ask("When did China launch its first manned spaceflight?")
    assert ans.short_answer == "2003" and "2003" in ans.citations[0].quote


def test_every_answer_sentence_is_verbatim_from_its_cited_paragraph(searcher):
    for q in ["Who is the Director of UNOOSA?", "How many orbits did Yang make in Shenzhou 5?",
              "Which probe brought back lunar samples?"]:
        ans = searcher.ask(q)
        assert not ans.abstained, q
        by_n = {c.n: c for c in ans.citations}
        import re

        for sentence, n in re.findall(r"(.+?) \[(\d+)\](?:\s|$)", ans.answer):
            assert sentence.strip() in by_n[int(n)].paragraph.text


def test_the_questions_words_that_no_document_holds_are_named(searcher):
    near_miss = searcher.ask("Who was the first woman astronaut from China?", abstain="never")
    assert near_miss.not_in_documents == ["woman"]  # "first", "astronaut", "china" are all there
    assert near_miss.to_dict()["not_in_documents"] == ["woman"]
    assert searcher.ask("Who is the Director of UNOOSA?").not_in_documents == []
    # Said on abstentions too, and the stem decides: "rockets" is in the corpus as "rocket".
    off = searcher.ask("What fuel do the Long March 5 rockets burn?")
    assert off.abstained and "fuel" in off.not_in_documents and "rockets" not in off.not_in_documents
    out = _cli("ask", "Who was the first woman astronaut from China?", "--index", str(searcher.index_dir),
               "--abstain", "never")
    assert out.returncode == 0 and "(No indexed document contains: woman)" in out.stdout, out.stderr
    # A name that no document holds withholds the answer, and the answer says why.
    out = _cli("ask", "Which Indian astronaut trained in China?", "--index", str(searcher.index_dir))
    assert out.returncode == 0 and "The documents do not say" in out.stdout, out.stderr
    assert "(No indexed document names or spells out: Indian.)" in out.stdout


def test_an_answer_the_strict_level_would_withhold_is_marked_unsure(searcher):
    from citewise.answer import abstain_threshold

    # Nothing in the sample says how many people live in Beijing. Its confidence sits near the
    # balanced threshold, on one side or the other by the CPU's int8 arithmetic (AVX2 or VNNI), so
    # the answer given below the strict threshold is asked for at "never".
    weak = searcher.ask("How many people live in Beijing?", abstain="never")
    assert not weak.abstained and weak.confidence < abstain_threshold("strict")
    assert weak.unsure and weak.to_dict()["unsure"] is True
    assert searcher.ask("How many people live in Beijing?", abstain="strict").abstained
    # "seventeen" is the attendance of a gathering: its paragraph holds no word of the question.
    balanced = searcher.ask("How many people live in Beijing?", abstain="balanced")
    assert balanced.abstained and "shares no word with the question" in balanced.reason
    assert "shares no word" in weak.reason  # at "never" it is said, and the answer still given
    first = weak.citations[0].paragraph
    assert not searcher.shares_words("How many people live in Beijing?", first)
    assert searcher.shares_words("What is it?", first)  # no word to share: not judged by this
    # The 2019 article's "nine" projects answer for 2019, not for a year it never mentions.
    asked = "How many international projects were selected to fly on the China Space Station in {}?"
    assert searcher.ask(asked.format(2019)).short_answer == "nine"
    other = searcher.ask(asked.format(2021))
    assert other.abstained and "never mentions 2021" in other.reason
    sure = searcher.ask("Who is the Director of UNOOSA?")
    assert sure.confidence >= abstain_threshold("strict") and not sure.unsure
    assert not searcher.ask("What fuel do the Long March 5 rockets burn?").unsure  # abstained: nothing to doubt
    out = _cli("ask", "How many people live in Beijing?", "--index", str(searcher.index_dir), "--abstain", "never")
    assert out.returncode == 0 and out.stdout.startswith("Unsure: the documents may not hold the answer"), out.stderr
    assert out.stdout.splitlines()[1].startswith("Short answer: ")  # the bold answer of the UI, said first


def test_american_spelling_finds_the_british_one_and_an_older_index_says_to_rebuild(searcher, tmp_path):
    # The sample says "Astronaut Centre": "Center" abstained, naming "center" as in no document.
    ans = searcher.ask("How many people attended the gathering at the Astronaut Center?")
    assert not ans.abstained and ans.short_answer == "seventeen" and "center" not in ans.not_in_documents
    # An index whose terms were made without folding is named, with the way out, before any question.
    import json
    import shutil

    old = tmp_path / "old-index"
    shutil.copytree(searcher.index_dir, old)
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["lexical"] = "bm25s (Lucene BM25, k1=1.5, b=0.75, Snowball English stems)"
    (old / "manifest.json").write_text(json.dumps(manifest))
    out = _cli("ask", "Who is the Director of UNOOSA?", "--index", str(old))
    assert out.returncode == 0 and "Simonetta Di Pippo" in out.stdout
    assert "built by an earlier citewise" in out.stderr and "run ingest.py" in out.stderr
    assert "earlier citewise" not in _cli("ask", "Who is the Director of UNOOSA?", "--index",
                                          str(searcher.index_dir)).stderr


def test_a_question_about_a_readers_comment_is_answered_from_it(searcher):
    # The author and "comment" are what a comment is, not words of its text: matched as such, the
    # README's promise holds ("comments are cited when the question asks about comments"); these
    # abstained at every level.
    ans = searcher.ask("What did Dennis Stolwijk write?")
    assert not ans.abstained
    first = ans.citations[0].paragraph
    assert first.kind == "comment" and first.author == "Dennis Stolwijk"
    ans = searcher.ask("What did readers say in the comments?", abstain="never")
    assert ans.citations[0].paragraph.kind == "comment"


def test_out_of_corpus_question_abstains_with_related_paragraphs(searcher):
    ans = searcher.ask("What fuel does the Long March 5 rocket burn?")
    assert ans.abstained
    d = ans.to_dict()
    assert d["answer"].startswith("The documents do not say")
    assert d["citations"] == [] and len(d["related"]) == 3


def _searcher_over(tmp_path, name: str, text: str):
    """A Searcher over an index of one document `name` holding `text` (the real model)."""
    from citewise.pipeline import Searcher, ingest

    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    (docs / name).write_text(text, encoding="utf-8")
    ingest([docs], tmp_path / "index", progress=False)
    return Searcher(tmp_path / "index")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "citewise", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_cli_ask_json_contract(sample_index):
    out = _cli("ask", "Who is the chief designer of China's manned space program?", "--index",
               str(sample_index), "--json", "--top-k", "5")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 1  # exactly one JSON object
    d = json.loads(lines[0])
    assert {"question", "answer", "short_answer", "abstained", "citations", "retrieved", "timings_ms"} <= set(d)
    assert isinstance(d["abstained"], bool) and d["abstained"] is False
    assert len(d["retrieved"]) == 5
    for r in d["retrieved"]:
        assert {"id", "doc", "paragraph", "text", "score"} <= set(r)
    c = d["citations"][0]
    assert {"n", "id", "doc", "paragraph", "text", "quote", "score"} <= set(c)
    assert c["n"] == 1 and c["quote"] in c["text"] and "Zhou Jianping" in c["quote"]
    assert c["id"] == f"{c['doc']}#{c['paragraph']}"


def test_cli_inspect_lists_every_paragraph(sample_index):
    out = _cli("inspect", "--index", str(sample_index), "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    manifest = json.loads((sample_index / "manifest.json").read_text())
    assert len(rows) == manifest["paragraph_count"] > 50
    assert {r["doc"] for r in rows} == set(manifest["documents"])
    assert all({"id", "doc", "paragraph", "text"} <= set(r) for r in rows)


def test_cli_missing_index_is_a_human_error(tmp_path):
    out = _cli("ask", "anything", "--index", str(tmp_path / "none"))
    assert out.returncode == 1
    assert "no index at" in out.stderr and "Traceback" not in out.stderr
    as_json = _cli("ask", "anything", "--index", str(tmp_path / "none"), "--json")
    assert as_json.returncode == 1 and "no index at" in json.loads(as_json.stdout)["error"]


def test_ingest_cli_prints_a_summary(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Title\n\nSome text about comets.\n")
    (docs / "b.pdf").write_bytes(b"%PDF-1.4")
    out = subprocess.run([sys.executable, "ingest.py", str(docs), "--index", str(tmp_path / "ix"), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "Indexed 1 document(s), 1 paragraph(s)" in out.stdout  # the heading opens its paragraph
    assert "b.pdf: not a readable PDF" in out.stdout and "EOF marker" not in out.stderr


def test_ingest_without_paths_updates_an_index_from_what_it_was_built_from_never_from_the_sample(tmp_path):
    def ingest_cli(*args):
        return subprocess.run([sys.executable, "ingest.py", *args, "--index", str(tmp_path / "ix"), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Comets\n\nSome text about comets.\n")
    assert ingest_cli(str(docs)).returncode == 0
    (docs / "b.md").write_text("# Asteroids\n\nSome text about asteroids.\n")
    out = ingest_cli()
    assert out.returncode == 0 and f"from what it was built from: {docs}" in out.stderr
    assert "added: b.md" in out.stdout and "removed" not in out.stdout.replace("removed 0", "")

    # Documents the recorded paths would not find again (here: a record taken away, as in an index
    # from before inputs were recorded) are never replaced by the bundled corpus.
    manifest_file = tmp_path / "ix" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    del manifest["inputs"]
    manifest_file.write_text(json.dumps(manifest))
    refused = ingest_cli()
    assert refused.returncode == 1 and "name the files and folders to index" in refused.stderr
    assert json.loads(manifest_file.read_text())["documents"].keys() == {"a.md", "b.md"}
    # Nor is an index whose manifest cannot be read.
    cut = manifest_file.read_text()[:50]
    manifest_file.write_text(cut)
    damaged = ingest_cli()
    assert damaged.returncode == 1 and "name the files and folders to index" in damaged.stderr
    assert manifest_file.read_text() == cut  # left as it was, not rebuilt from the bundled corpus


def test_sample_corpus_furniture_comments_and_copies(sample_index, searcher):
    manifest = json.loads((sample_index / "manifest.json").read_text())
    removed = manifest["documents"]["003_4e0ba100935570fa.txt"]["removed"]
    reasons = {r["reason"] for r in removed}
    assert {"donation or subscription appeal", "copyright or legal footer"} <= reasons
    assert any(r["reason"].startswith("link list") for r in removed)
    # 003 and 004 are one wire story: its paragraphs are stored once, with the other copy listed.
    assert len(manifest["documents"]["004_85d859092cc8430c.txt"].get("duplicates", [])) >= 8
    ans = searcher.ask("Which countries will China work with on satellite engineering and technology?")
    assert len(ans.citations[0].paragraph.also_in) == 1
    ids = [h.paragraph.id for h in ans.retrieved]
    assert len(ids) == len(set(ids))
    # Comments are cited only when the question is about them.
    assert all(c.paragraph.kind != "comment" for c in searcher.ask("Is China's space program budget endless?").citations)
    about = searcher.ask("What did readers comment about the money China spends on its space program?")
    assert about.retrieved[0].paragraph.kind == "comment"
    assert about.retrieved[0].paragraph.author in {"Dennis Stolwijk", "Michael Vaicaitis"}


def test_cli_inspect_removed_shows_what_was_dropped(sample_index):
    out = _cli("inspect", "--index", str(sample_index), "--removed", "004_85d859092cc8430c.txt")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["reason"] for r in rows] == ["byline", "copyright or legal footer",
                                          "repeated line (printed twice on the page)"]
    assert [r["text"] for r in rows[:2]] == ["Editor:Yu Hui", "Copyright©2023 CSSN All Rights Reserved"]
    # The document may be named by its file's path too, or by a file name no other document has.
    manifest = json.loads((sample_index / "manifest.json").read_text())
    path = manifest["documents"]["004_85d859092cc8430c.txt"]["path"]
    assert _cli("inspect", "--index", str(sample_index), "--removed", path).stdout == out.stdout
    wrong = _cli("inspect", "--index", str(sample_index), "--removed", "005_none.txt")
    assert wrong.returncode == 1 and "no document '005_none.txt'" in wrong.stderr and "004_" in wrong.stderr


def test_lazy_memory_mapped_index_answers_as_an_index_held_in_memory(sample_index, searcher):
    """Format 2 reads paragraphs on demand and memory-maps vectors and BM25; every sample question
    must get the same answer, citations and ranking as from the same index fully in memory."""
    import bm25s
    import numpy as np

    from citewise import store
    from citewise.pipeline import Searcher

    lazy = store.load(sample_index)
    eager = store.Index(lazy.manifest, list(lazy.paragraphs), lazy.dense,
                        bm25s.BM25.load(str(sample_index / store.LEXICAL), mmap=False),
                        np.array(lazy.vectors), np.array(lazy.sentence_vectors), lazy.sentence_offsets)
    held = Searcher(sample_index)
    held._index = eager  # same stamp as on disk, so it serves this in-memory copy
    assert isinstance(searcher.index.paragraphs, store.Paragraphs) and isinstance(held.index.paragraphs, list)
    gold = [json.loads(x) for x in (ROOT / "eval" / "gold" / "sample.jsonl").read_text().splitlines() if x.strip()]
    for g in gold:
        a, b = searcher.ask(g["question"]).to_dict(), held.ask(g["question"]).to_dict()
        a.pop("timings_ms"), b.pop("timings_ms")
        assert a == b, g["question"]


def test_cli_output_piped_into_a_reader_that_stops_early(sample_index):
    """`python -m citewise inspect | head -1`: the closed pipe ends the command quietly."""
    proc = subprocess.Popen([sys.executable, "-m", "citewise", "inspect", "--index", str(sample_index)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    _, err = proc.communicate(timeout=120)
    assert first.startswith(b'{"id": ') and proc.returncode == 0 and b"Traceback" not in err, err


def test_chinese_and_japanese_are_searched_by_character_bigrams(tmp_path):
    """Without spaces between words a Chinese question used to be one lexical term that no paragraph
    held: every question abstained. Bigrams (and sentence ends at 。) make them answerable."""
    from citewise.pipeline import Searcher, ingest

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zh.txt").write_text(
        "中国航天日是每年的四月二十四日。这一天纪念第一颗人造卫星东方红一号成功发射。\n\n"
        "长征五号是中国运载能力最大的火箭。它使用液氢、液氧和煤油作为推进剂。\n\n"
        "王亚平是中国第一位进行太空行走的女航天员。她在二零二一年完成了出舱活动。\n", encoding="utf-8")
    (docs / "ja.txt").write_text("若田光一は日本人として初めて国際宇宙ステーションの船長を務めた宇宙飛行士である。\n",
                                 encoding="utf-8")
    ingest([docs], tmp_path / "index", progress=False)
    searcher = Searcher(tmp_path / "index")
    assert {p.id: len(p.sentences) for p in searcher.index.paragraphs} == {
        "ja.txt#1": 1, "zh.txt#1": 2, "zh.txt#2": 2, "zh.txt#3": 2}
    for question, where, quoted in [("谁是第一位进行太空行走的女航天员？", "zh.txt#3", "王亚平是中国第一位"),
                                     ("中国航天日是哪一天？", "zh.txt#1", "四月二十四日"),
                                     ("日本人として初めて船長を務めたのは誰ですか？", "ja.txt#1", "若田光一")]:
        answer = searcher.ask(question)
        assert not answer.abstained, question
        assert answer.citations[0].paragraph.id == where and quoted in answer.answer
        assert answer.short_answer is None  # the reader reads English only: no fragment passed off as one
        assert answer.not_in_documents == []  # bigrams are not words to name


def test_a_model_number_no_document_holds_is_not_answered_with_its_neighbours_facts(tmp_path):
    s = _searcher_over(tmp_path, "manual.md",
                       "# AeroBrew manual\n\nThe AeroBrew X2 has a pump pressure of 15 bar and a 1.8 litre tank.\n\n"
                       "Error code E07 means that the pump is blocked by scale.\n\n"
                       "The setting max_retries in aerobrew.conf defaults to 5 attempts.\n")
    assert not s.ask("What is the pump pressure of the AeroBrew X2?").abstained
    near = s.ask("What is the pump pressure of the AeroBrew X3?")
    assert near.abstained and near.not_in_documents == ["x3"]
    assert s.ask("What does error code E05 mean?").abstained
    # A configuration key or file is an identifier too.
    assert not s.ask("What is the default value of max_retries?").abstained
    for unknown in ("What is the default value of max_queue_size?", "What is the default value of maxQueueSize?",
                    "What does brewer.conf set?"):
        assert s.ask(unknown).abstained, unknown
    told = s.ask("What is the pump pressure of the AeroBrew X3?", abstain="never")
    assert not told.abstained and told.unsure  # answered on request, with the warning


def test_a_measure_a_count_or_a_date_to_come_that_no_paragraph_gives_is_not_answered(tmp_path):
    # The sample corpus's near misses: every name of the question is held, the asked-for value is not.
    s = _searcher_over(tmp_path, "station.md",
                       "# The station\n\nThe station was launched in 2021 and orbits at about 390 km above the "
                       "Earth. China plans six crewed flights to it in 2022.\n\nThe crew spent 15 days aboard "
                       "in 2013. The first Chinese astronaut went into space in 2003.\n\n"
                       "The European Space Agency expects to send an astronaut to the station in 2027.\n")
    assert "390 km" in s.ask("At what altitude does the station orbit?").answer
    speed = s.ask("At what speed does the station orbit?")
    assert speed.abstained and speed.reason == "None of the paragraphs that match the question holds a speed."
    assert not s.ask("How many crewed flights does China plan in 2022?").abstained
    modules = s.ask("How many modules does the station have?")
    assert modules.abstained and modules.reason == "None of the paragraphs that match the question counts: modules."
    told = s.ask("How many modules does the station have?", abstain="never")
    assert not told.abstained and told.unsure and told.reason == modules.reason  # answered on request, warned
    assert "2027" in s.ask("When will the first European astronaut fly to the station?").answer
    past = _searcher_over(tmp_path / "past", "station.md",
                          "# The station\n\nThe first Chinese astronaut went into space in 2003. The crew spent "
                          "15 days aboard in 2013.\n")
    again = past.ask("When will the first Chinese astronaut go into space again?")
    assert again.abstained and again.reason == "None of the paragraphs that match the question says when it will happen."
    assert not past.ask("When did the first Chinese astronaut go into space?").abstained


def test_a_phrase_that_is_not_the_asked_for_year_or_number_is_not_given_as_the_answer(tmp_path):
    # Every name of the question is held, but not the year asked for: the reader's best phrase is
    # "last year", which is no answer to "In what year ...?".
    s = _searcher_over(tmp_path, "flights.md",
                       "# Flights\n\nJean-Francois Clervoy, an astronaut of the European Space Agency, visited "
                       "the training centre last year and praised its progress. He has flown into space three "
                       "times.\n\nThe centre trains astronauts for the space station.\n")
    year = s.ask("In what year did Jean-Francois Clervoy first fly into space?")
    assert year.abstained and year.reason == "The closest answer in the documents, “last year”, is not a year."
    told = s.ask("In what year did Jean-Francois Clervoy first fly into space?", abstain="never")
    assert not told.abstained and told.unsure and told.reason == year.reason  # answered on request, warned
    assert told.short_answer == "last year"
    count = s.ask("How many times has Clervoy flown into space?")
    assert not count.abstained and count.short_answer == "three" and count.reason is None


def test_an_answer_that_only_repeats_the_question_is_flagged_and_withheld_when_strict(sample_index):
    from citewise.pipeline import Searcher

    # The sample corpus names no crewmate of Fei Junlong; the reader's best phrase is his own name.
    s = Searcher(sample_index)
    question = "Which astronaut shared the Shenzhou 6 flight with Fei Junlong?"
    why = "The closest answer in the documents, “Junlong”, only repeats the question."
    balanced = s.ask(question)
    assert not balanced.abstained and balanced.unsure and balanced.reason == why  # given, with the warning
    strict = s.ask(question, abstain="strict")
    assert strict.abstained and strict.short_answer is None and strict.reason == why
    # An answer of a name the question does not hold is no repeat.
    deputy = s.ask("Who is the deputy director of the Astronaut Centre of China?", abstain="strict")
    assert not deputy.abstained and "Junlong" in deputy.short_answer and deputy.reason is None


def test_a_question_that_names_its_document_is_answered_as_the_same_question_without(sample_index):
    from citewise.pipeline import Searcher

    s = Searcher(sample_index)
    plain = s.ask("Who does space belong to?")
    named = s.ask("Who does space belong to, according to the opinion article?")
    assert not named.abstained and named.short_answer == plain.short_answer == "all mankind"
    assert named.confidence == plain.confidence and named.question.endswith("according to the opinion article?")


def test_a_number_that_counts_something_else_is_not_given_as_the_count(sample_index):
    from citewise.pipeline import Searcher

    # The sample says "China will make six manned space flights in 2022", and nothing of rockets.
    s = Searcher(sample_index)
    rockets = s.ask("How many rockets will China launch this year?")
    assert rockets.abstained
    assert rockets.reason == "The closest answer in the documents, “six”, counts something else (“six manned space flights in”)."
    told = s.ask("How many rockets will China launch this year?", abstain="never")
    assert not told.abstained and told.unsure and told.short_answer == "six" and told.reason == rockets.reason
    flights = s.ask("How many manned space flights will China make in 2022?")
    assert not flights.abstained and flights.short_answer == "six" and flights.reason is None


def test_a_sentence_about_another_of_a_series_does_not_answer(tmp_path):
    s = _searcher_over(tmp_path, "missions.md",
                       "# Crewed missions\n\nShenzhou 5 carried Yang Liwei on the first crewed flight of the "
                       "programme in 2003, launched from Jiuquan.\n\nShenzhou 6 followed in 2005 with two "
                       "astronauts aboard for five days.\n")
    # The first sentence matches best ("launched from Jiuquan"), but is about Shenzhou 5.
    assert s.ask("When was Shenzhou 6 launched from Jiuquan?").short_answer == "2005"
    assert s.ask("When was Shenzhou 5 launched from Jiuquan?").short_answer == "2003"
    # A sentence that names none, in a paragraph that names only another, speaks of that one too.
    para = _searcher_over(tmp_path / "para", "missions.md",
                          "# Crewed missions\n\nThe first crewed flight of the programme came in 2003. It was "
                          "Shenzhou 5, which carried Yang Liwei.\n\nShenzhou 6 followed in 2005 with two "
                          "astronauts aboard for five days.\n")
    assert para.ask("When was the first crewed flight of Shenzhou 6?").short_answer == "2005"
    # A paragraph under the asked one's heading answers even when it names only the other.
    titled = _searcher_over(tmp_path / "titled", "windows.md",
                            "# Windows 11\n\nUnlike Windows 10, it requires a TPM 2.0 chip to install.\n\n"
                            "# Windows 10\n\nWindows 10 installs on most machines made since 2010.\n")
    assert "TPM 2.0" in titled.ask("What does Windows 11 require to install?").answer
    only = _searcher_over(tmp_path / "only", "mission.txt", "Shenzhou 5 carried Yang Liwei on the first crewed "
                          "flight of the programme in 2003, launched from Jiuquan.\n")
    other = only.ask("Who flew on the first crewed flight of Shenzhou 6?")
    assert other.abstained and other.reason == \
        "The paragraphs that match the question speak of Shenzhou 5, not of Shenzhou 6."
    told = only.ask("Who flew on the first crewed flight of Shenzhou 6?", abstain="never")
    assert not told.abstained and told.unsure and told.reason == other.reason


def test_a_name_no_document_holds_or_no_value_of_the_kind_asked_for_is_not_answered(tmp_path):
    s = _searcher_over(tmp_path, "support.md",
                       "# Lanternfish support\n\nLanternfish runs on Ubuntu version 20.04 or newer and on Debian "
                       "version 11 or newer. The Lunar Mission Office of the Scottish Parliament uses it.\n\n"
                       "## Plans\n\nThe Standard plan costs 4,800 euros per year. Support is given by e-mail "
                       "on working days.\n\nThe maintainers meet every month to plan the next release.\n")
    answered = s.ask("Which Ubuntu version does Lanternfish run on?")
    assert not answered.abstained and answered.reason is None
    fedora = s.ask("Which Fedora version does Lanternfish run on?")
    assert fedora.abstained and fedora.reason == "No indexed document names or spells out: Fedora."
    assert fedora.to_dict()["reason"] == fedora.reason
    # A slip, an abbreviation the documents spell out, and a synonym of their word are no unknown names.
    for known in ("Which Ubunto version does Lanternfish run on?", "Which office of the SP uses Lanternfish?",
                  "Which office of the Moon mission uses Lanternfish?"):
        got = s.ask(known)
        assert got.reason is None, (known, got.reason)
    assert not s.ask("How much does the Standard plan cost?").abstained
    # Asked for an amount of money, where no matching paragraph holds one.
    unpriced = _searcher_over(tmp_path / "unpriced", "plans.md",
                              "# Plans\n\nThe Standard plan includes support by e-mail on working days.\n\n"
                              "The Enterprise plan adds a named engineer and support at weekends.\n")
    plan = unpriced.ask("How much does the Standard plan cost?")
    assert plan.abstained and plan.reason == "None of the paragraphs that match the question holds an amount of money."
    assert not unpriced.ask("What does the Standard plan include?").abstained
    # Other kinds have answers of many shapes: "every month" answers when they meet.
    meet = s.ask("When do the maintainers meet?")
    assert not meet.abstained and "every month" in meet.answer
    told = s.ask("Which Fedora version does Lanternfish run on?", abstain="never")
    assert not told.abstained and told.unsure and told.reason  # answered on request, with the warning and why


def test_names_are_looked_up_in_the_index_as_it_is_now(tmp_path):
    from citewise.pipeline import ingest

    s = _searcher_over(tmp_path, "support.md", "# Support\n\nLanternfish runs on Ubuntu version 20.04 or newer.\n")
    assert s.ask("Which Fedorra version does Lanternfish run on?").abstained  # a slip of nothing it holds
    known = s.recognises(s.ask("Which Ubuntu version does Lanternfish run on?").retrieved)
    (tmp_path / "docs" / "support.md").write_text(
        "# Support\n\nLanternfish runs on Ubuntu version 20.04 or newer and on Fedora version 39 or newer.\n")
    ingest([tmp_path / "docs"], tmp_path / "index", progress=False)
    # The rebuilt index is taken up, its vocabulary with it: "Fedorra" is now a slip of its "Fedora".
    answer = s.ask("Which Fedorra version does Lanternfish run on?")
    assert not answer.abstained and answer.reason is None and "Fedora version 39" in answer.answer
    # A lookup begun over the earlier index finishes over it (another thread's question meanwhile).
    assert known("fedorra") is False and known("ubunto") is True


def test_a_question_naming_a_version_is_answered_from_what_holds_that_version(tmp_path):
    from dataclasses import replace

    from citewise.config import Settings
    from citewise.pipeline import Searcher, ingest

    s = _searcher_over(tmp_path, "README.md",
                       "# Lanternfish\n\nLanternfish is a job scheduler for small clusters. It was first released "
                       "in 2019 by Priya Ramaswamy.\n")
    (tmp_path / "docs" / "CHANGELOG.md").write_text(
        "# Changelog\n\nAll notable changes to Lanternfish are listed here, each release under its version "
        "and release date.\n\n## 2.4.1 - 2025-03-14\n\n- The dashboard no longer shows negative queue "
        "lengths.\n- `lanternfish token revoke` now works for tokens created before 2.4.0.\n\n## 2.4.0 - 2025-02-03\n\n- Workers can be drained before an upgrade.\n\n### Changed\n\n- The default value of max_retries "
        "was raised from 3 to 5.\n\n## Configuration\n\nSetting: max_retries; Default: 5; Description: How many "
        "times a failed job is retried.\n", encoding="utf-8")
    ingest([tmp_path / "docs"], s.index_dir, progress=False)
    question = "When was Lanternfish 2.4.1 released?"
    answer = s.ask(question)
    assert answer.short_answer == "2025-03-14" and "2.4.1" in answer.citations[0].quote
    # Without the penalty the first release's year leads: its sentence says "released".
    plain = Searcher(s.index_dir, replace(Settings(), version_penalty=0.0)).ask(question)
    assert plain.short_answer == "2019"
    # Asked for a version: a changelog's entry answers with the version its section is titled by.
    raised = s.ask("In which version was the default of max_retries raised from 3 to 5?")
    assert raised.short_answer == "2.4.0" and "raised from 3 to 5" in raised.citations[0].quote
    # A version no document holds is not answered with another's date ("1" and "0" are no "1.0").
    first = s.ask("When was Lanternfish 1.0 released?")
    assert first.abstained and first.reason == "No indexed document names or spells out: 1.0."


def test_a_version_is_read_from_the_titles_a_sentence_sits_under(tmp_path):
    s = _searcher_over(tmp_path, "harbor.md",
                       "# Harbor 5.1 release notes\n\nHarbor 5.1 was released on 2025-04-02 by the Harbor team. It is "
                       "the biggest release since 4.0.\n\n## Performance\n\nQueue scans are 30 percent faster.\n\n"
                       "## Upgrading from 5.0\n\nClusters on 5.0.3 can upgrade directly.\n\n## 6.2 Service API\n\n"
                       "The REST API is at version 2.\n")
    # The document's title gives its sections' sentences their version: they are not docked for lacking it.
    assert s.ask("Which clusters can upgrade directly to 5.1?").short_answer == "5.0.3"
    assert s.ask("How much faster are queue scans in 5.1?").short_answer == "30 percent"
    # A release date is no version; a section number is no version title.
    assert s.ask("What release date did Harbor 5.1 have?").short_answer == "2025-04-02"
    assert s.ask("What version is the REST API at?").short_answer == "version 2"
    changelog = _searcher_over(tmp_path / "changelog", "CHANGELOG.md",
                               "# Changelog\n\nAll notable changes to Lanternfish are listed here.\n\n## 2.4.0 - "
                               "2025-02-03\n\n- Workers can be drained.\n\n## 2.3.0 - 2024-10-21\n\n### Removed\n\n"
                               "- Support for Python 3.8 and 3.9 was dropped.\n")
    # The release a change came in is its section's title, whatever versions the entry names.
    dropped = changelog.ask("In which version was support for Python 3.8 dropped?")
    assert dropped.short_answer == "2.3.0" and dropped.citations[0].quote == "Support for Python 3.8 and 3.9 was dropped."


def test_a_table_row_quoted_beside_the_lead_gives_the_value_of_the_column_asked_for(tmp_path):
    searcher = _searcher_over(
        tmp_path, "release.md",
        "# Lanternfish 2.4 released\n\nWe are happy to announce Lanternfish 2.4, with YAML dependencies.\n\n"
        "## Performance\n\nWe also measured the scheduler under load. The table below shows jobs dispatched per "
        "second on a cluster of 64 nodes.\n\n| Version | Jobs per second | p99 latency (ms) |\n|---|---|---|\n"
        "| 2.3 | 1,850 | 210 |\n| 2.4 | 2,700 | 95 |\n")
    ans = searcher.ask("How many jobs per second does Lanternfish 2.4 dispatch?")
    assert "Jobs per second: 2,700" in ans.answer  # the row is quoted ...
    assert ans.short_answer == "2,700"  # ... and its cell answers, not the lead's "64" (nodes)
    # A row of another version is no answer beside prose that gives it.
    other = _searcher_over(tmp_path / "other", "perf.md",
                           "# Lanternfish\n\nLanternfish 2.4 dispatches 2,700 jobs per second on a cluster of 64 "
                           "nodes.\n\n## Older versions\n\n| Version | Jobs per second |\n|---|---|\n| 2.2 | 1,400 |\n"
                           "| 2.3 | 1,850 |\n")
    assert other.ask("How many jobs per second does Lanternfish 2.4 dispatch?").short_answer == "2,700"


def test_how_do_i_is_answered_with_the_steps(tmp_path):
    searcher = _searcher_over(
        tmp_path, "configuration.md",
        "# Configuration\n\n## Changing the log level\n\nThe log level defaults to info. To change it:\n\n"
        "1. Open /etc/lanternfish/lanternfish.toml in an editor.\n2. Set log_level = \"debug\" under the "
        "[logging] section.\n3. Restart the scheduler with lanternfish restart.\n\n## Workers\n\n"
        "Each worker runs four jobs at a time by default.\n")
    ans = searcher.ask("How do I change the log level?")
    assert "To change it:" in ans.answer and "3. Restart the scheduler" in ans.answer
    assert ans.short_answer is None  # the steps are the answer
