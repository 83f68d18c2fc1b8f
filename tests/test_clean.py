"""Boilerplate removal, comments, teasers and duplicate folding on small made-up pages."""
from citewise.chunk import split_paragraphs
from citewise.clean import clean
from citewise.dedup import collapse

ARTICLE = ("The probe landed near the crater rim on Tuesday after a seven month cruise, "
           "and engineers confirmed that all of its instruments were working normally.")

PAGE = f"""Probe lands on the Moon
by Staff Writers

{ARTICLE}

A photo of the lander. (Credit: Agency)
A photo of the lander. (Credit: Agency)

Related Links
Agency home page
Mission news archive
More from our science desk

We need your help. Please consider becoming a supporter or make a one off contribution.
$5 Billed Monthly

Earlier story: the launch
A rocket lifted off with the probe on board in March, carrying it towards the Moon on a long and slow transfer orbit ... read more

Share this article via these popular social media networks

Copyright 2024 Example News. All rights reserved.
Editor:Yu Hui
Source: Example News Agency
"""


def test_page_furniture_is_removed_with_reasons_and_article_kept():
    kept, removed = clean(PAGE)
    texts = [PAGE[s.start:s.end] for s in kept]
    assert ARTICLE in texts
    assert "Probe lands on the Moon" in texts  # the title, before the article starts, stays
    reasons = {r.text: r.reason for r in removed}
    assert reasons["by Staff Writers"] == "byline"
    assert reasons["Editor:Yu Hui"] == "byline"  # a staff credit
    assert "Source: Example News Agency" in texts  # where the story comes from is a fact
    assert reasons["A photo of the lander. (Credit: Agency)"].startswith("repeated line")
    assert texts.count("A photo of the lander. (Credit: Agency)") == 1
    assert reasons["Related Links"].startswith("related-links")
    assert reasons["Agency home page"].startswith("link list")
    assert reasons["$5 Billed Monthly"] == "donation or subscription appeal"
    assert reasons["Share this article via these popular social media networks"] == "share or comment widget"
    assert reasons["Copyright 2024 Example News. All rights reserved."] == "copyright or legal footer"
    for r in removed:  # every removed span is an exact slice of the page
        assert PAGE[r.start:r.end].strip() == r.text


def test_teaser_with_facts_is_kept_as_teaser_without_read_more():
    kept, removed = clean(PAGE)
    teasers = [PAGE[s.start:s.end] for s in kept if s.kind == "teaser"]
    assert teasers == ["Earlier story: the launch",  # the teaser's title goes with it
                       "A rocket lifted off with the probe on board in March, carrying it towards the Moon "
                       "on a long and slow transfer orbit"]
    assert any(r.reason == "read-more link" for r in removed)


def test_comment_thread_is_attributed():
    page = ARTICLE + "\n\n  • Jane Reader\n\n    I think this is great news for science.\n\n  • bob42\n\n    Not so sure.\n"
    kept, removed = clean(page)
    comments = [(page[s.start:s.end], s.author) for s in kept if s.kind == "comment"]
    assert comments == [("I think this is great news for science.", "Jane Reader"), ("Not so sure.", "bob42")]
    assert [r.reason for r in removed] == ["commenter name (Jane Reader)", "commenter name (bob42)"]
    paras = split_paragraphs("p.txt", page, 200, lambda t: len(t.split()), kept)
    assert [(p.kind, p.author) for p in paras] == [("article", None), ("comment", "Jane Reader"),
                                                    ("comment", "bob42")]


def test_paragraphs_of_a_cleaned_page_keep_exact_offsets():
    kept, _ = clean(PAGE)
    paras = split_paragraphs("p.txt", PAGE, 200, lambda t: len(t.split()), kept)
    assert [p.text for p in paras][:2] == ["Probe lands on the Moon", ARTICLE]
    for p in paras:
        assert PAGE[p.start:p.end] == p.text


def test_identical_paragraphs_fold_into_the_first_with_also_in():
    a = split_paragraphs("a.txt", f"Intro of A only.\n\n{ARTICLE}", 200, lambda t: len(t.split()))
    b = split_paragraphs("b.txt", f"{ARTICLE.upper()}\n\nOnly in B, this one.", 200, lambda t: len(t.split()))
    kept, copies = collapse(a + b)
    assert [p.id for p in kept] == ["a.txt#1", "a.txt#2", "b.txt#2"]
    assert kept[1].also_in == ("b.txt#1",)
    assert copies == {"b.txt#1": "a.txt#2"}


def test_near_duplicate_paragraphs_fold_too():
    words = lambda t: len(t.split())  # noqa: E731
    a = split_paragraphs("a.txt", ARTICLE, 200, words)
    edited = ARTICLE.replace("Tuesday", "Wednesday")  # one word edited, as syndicated copies often are
    b = split_paragraphs("b.txt", f"{edited}\n\nA different paragraph about the weather in Paris today.", 200, words)
    kept, copies = collapse(a + b)
    assert copies == {"b.txt#1": "a.txt#1"}
    assert [p.id for p in kept] == ["a.txt#1", "b.txt#2"]
    kept_exact, copies_exact = collapse(a + b, near=False)
    assert copies_exact == {}
