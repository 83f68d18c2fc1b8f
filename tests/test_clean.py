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


def test_sentences_of_reports_and_policies_are_not_furniture_for_one_business_word():
    """Appeal, widget and footer words ("revenue", "billed", "log in", "share this", "cookies") in
    a sentence that states something are content; the page furniture above still goes."""
    facts = ["Revenue grew 12% to EUR 4.2 million in the first quarter.",
             "The employer pension contribution is 5% of gross salary.",
             "Hotel costs are billed directly to the company.",
             "Log in to the expense portal with your staff ID.",
             "Share this report only with members of the board.",
             "Staff canteen: the cookies are baked fresh every morning.",
             "Personal data is processed in line with the GDPR.",
             "Helio Solar Subscription: Frequently Asked Questions",
             "What does a Helio subscription cost?",
             "Please disable the alarm before entering the server room.",
             "Volunteers help us run the annual fair every June.",
             "Join us for the staff lunch on Friday at noon in room 3.",
             "Our reporting period ends on 30 June.",
             "Our revenue grew 12% in 2023."]
    text = ARTICLE + "\n" + "\n".join(facts) + "\n"
    kept, removed = clean(text)
    assert removed == [] and [text[s.start:s.end] for s in kept] == [ARTICLE] + facts
    furniture = ["Please consider becoming a supporter today.", "Subscribe to our newsletter",
                 "paypal only", "We use cookies to improve your experience.", "Follow us on Facebook and Twitter"]
    text = ARTICLE + "\n" + "\n".join(furniture) + "\n"
    assert [r.text for r in clean(text)[1]] == furniture


def test_a_plain_text_table_and_a_list_with_a_lead_in_are_not_link_lists():
    MORE = "The team packed the stand on Friday evening and drove the truck to the fair grounds overnight."
    table = ["Outcome                      Filter        Control",
             "Sleep onset latency (min)    21.3 (9.7)    24.8 (11.2)",
             "Total sleep time (min)       422 (41)      418 (44)",
             "Wake after sleep onset (min)\t31.0 (12.5)\t32.6 (13.1)"]
    listing = ["Packing list for the trade fair:", "Demo unit AeroBrew X2 Pro", "Two roll-up banners",
               "500 product brochures"]
    links = ["Rocket Lab brings forward launch for imaging company", "ESA selects payloads for Ariane 6",
             "SpaceX Starship orbital flight likely this year"]
    text = "\n\n".join([ARTICLE, "\n".join(table), "\n".join(listing), MORE, "\n".join(links)]) + "\n"
    kept, removed = clean(text)
    assert [r.text for r in removed] == links  # headlines without a lead-in still go
    assert all(line in [text[s.start:s.end] for s in kept] for line in table + listing)
    # A lead-in that is itself furniture introduces no list: the headlines under it still go.
    text = "\n\n".join([ARTICLE, "Related articles:\n" + "\n".join(links)]) + "\n"
    assert [r.text for r in clean(text)[1]] == ["Related articles:"] + links


def test_an_email_thread_reads_as_its_messages():
    """Hard-wrapped, quoted e-mail: sentences run across line breaks and quote marks, and greetings,
    sign-offs and signatures are no content."""
    import textwrap

    from citewise.load import unwrap
    from citewise.text import sentence_spans

    reply = ("Redis hit its maxmemory limit at 23:14 and, because the eviction policy was allkeys-lru, it "
             "evicted 312 queued jobs. Please switch the policy to noeviction and run Redis on a machine "
             "of its own rather than on worker-03.")
    first = ("On Tuesday night our scheduler stopped dispatching jobs for about two hours, from 23:15 until "
             "01:20. We are on Lanternfish 2.4.0 with Redis 7.0.")
    quoted = "\n".join("> " + line for line in textwrap.wrap(first, 70))
    mail = (f"Subject: Re: scheduler stalled\n\nHi Jonas,\n\n{textwrap.fill(reply, 76)}\n\nBest regards,\n"
            f"Priya\n\n--\nPriya Ramaswamy\nLead maintainer\n\nOn Wed, 5 Mar 2025 at 08:20, Jonas <j@example.org> "
            f"wrote:\n> Hi Priya,\n>\n{quoted}\n>\n> Jonas\n")
    text = unwrap(mail)
    assert reply in text and first in text and ">" not in text.replace("<j@example.org>", "")
    assert "We are on Lanternfish 2.4.0 with Redis 7.0." in [text[a:b] for a, b in sentence_spans(text)]
    kept, removed = clean(text)
    assert {r.text: r.reason for r in removed} == {
        "Hi Jonas,": "e-mail greeting", "Hi Priya,": "e-mail greeting", "Best regards,": "e-mail sign-off",
        "Priya": "e-mail sign-off", "Jonas": "e-mail sign-off", "--": "e-mail signature",
        "Priya Ramaswamy": "e-mail signature", "Lead maintainer": "e-mail signature"}
    assert {reply, first} <= {text[s.start:s.end] for s in kept}


def test_unwrapping_keeps_lists_fields_and_texts_written_a_line_per_paragraph():
    from citewise.load import unwrap

    notes = ("Maintainers meeting\nDate: 18 March 2025\nAttendees: Priya Ramaswamy (chair), Tomasz Wielgosz, "
             "Amara Okafor\n\nHenrik asked for a second CI runner; builds currently queue for up to 25 minutes.\n"
             "Priya approved a\nbudget of 150 euros a month for it.\n\nAction items\n- Tomasz: draft the release "
             "plan (due 25 March)\n- Henrik: add the eviction policy check at startup (due 2 June)\n")
    # (the wrap above is by hand: the long line stops mid-sentence, and the next goes on in lower case)
    assert unwrap(notes) == notes.replace("a\nbudget", "a budget").replace("minutes.\nPriya", "minutes. Priya")
    scraped = "A headline\n" + "One paragraph per line, as scraped pages and exports write it. " * 3 + "\nShare"
    assert unwrap(scraped) == scraped
    # A short line ends its line even after wrapped ones: the next is not joined to it.
    hard = ("The scheduler dispatches jobs to the workers over Redis, and it retries every job that\nfails.\n"
            "Workers send a heartbeat every ten seconds so that the scheduler knows they are alive.\n")
    assert unwrap(hard) == hard.replace("that\nfails", "that fails")
    # Lines that were never wrapped: aligned columns, commands, an address.
    for kept in ("Service   Port   Protocol   Exposed to\nweb       8080   http       the internet, through the proxy\n",
                 "sudo systemctl stop lanternfish-worker\nsudo systemctl start lanternfish-worker\n",
                 "Acme Corporation\n1200 Industrial Parkway\nSpringfield, IL 62701\n"):
        assert unwrap(kept) == kept


def test_email_rules_apply_to_email_only():
    text = ("Hello World\n\nThis tutorial prints a greeting with Python 3.12.\n\nGreetings from the maintainers\n\n"
            "Release checklist\n--\nBuild the wheels.\nUpload them to PyPI.\n")
    kept, removed = clean(text)
    assert removed == []


def test_a_recommended_settings_heading_is_content_a_recommended_for_you_header_is_not():
    text = (f"{ARTICLE}\n\nRecommended settings\nSet the pool size to twice the number of cores.\n\n"
            "Recommended for you\n")
    kept, removed = clean(text)
    assert [r.text for r in removed] == ["Recommended for you"]
