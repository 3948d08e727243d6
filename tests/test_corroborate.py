"""Several outlets on one story (`answering.corroborate`), through the pipeline with the fast fakes."""

from assistant.answering.corroborate import figures
from assistant.types import Article

MONDE = "Le séisme survenu lundi dans l'est de la Turquie a fait 12 morts, selon les secours."
FIGARO = "Dans l'est de la Turquie, le séisme de lundi a fait 12 morts d'après les secours."
LIBE = "Le tremblement de terre de lundi en Turquie a fait 15 morts, selon le dernier bilan officiel."
QUAKE = [
    Article(id="monde", title="Séisme en Turquie", source="Le Monde", date="2024-02-06", text=MONDE),
    Article(id="figaro", title="Turquie : un séisme meurtrier", source="Le Figaro", date="2024-02-06", text=FIGARO),
    Article(id="libe", title="Tremblement de terre en Turquie", source="Libération", date="2024-02-07", text=LIBE),
]


def test_figures_pair_a_number_with_what_it_counts():
    assert figures("Il a fait 12 morts et 130 km/h de vent, soit 5 % de plus.") == {"morts": "12", "km": "130", "%": "5"}
    assert figures("1 500 habitants") == {"habita": "1500"}


def test_the_outlets_that_say_the_answer_are_cited_and_another_figure_is_said(make_assistant):
    assistant = make_assistant({"morts": "12 morts [1]."}, top_k=3)
    assistant.ingest_articles(QUAKE)
    answer = assistant.ask("Combien de morts a fait le séisme en Turquie ?")
    outlets = {c.n: c.passage.source for c in answer.citations}
    assert set(outlets.values()) == {"Le Monde", "Le Figaro", "Libération"}
    agreeing = [n for n, source in outlets.items() if source != "Libération"]
    other = next(n for n, source in outlets.items() if source == "Libération")
    assert answer.text.startswith("12 morts " + "".join(f"[{n}]" for n in agreeing))
    assert f"Libération donne un autre chiffre : 15 morts [{other}]." in answer.text
    corroborate = next(step for step in answer.trace if step.stage == "corroborate")
    assert corroborate.decision == "several sources" and corroborate.details["differ"] == [other]


def test_one_outlet_alone_changes_nothing(make_assistant):
    assistant = make_assistant({"morts": "12 morts [1]."}, top_k=3)
    assistant.ingest_articles(QUAKE[:1])
    answer = assistant.ask("Combien de morts a fait le séisme en Turquie ?")
    assert answer.text == "12 morts [1]." and [c.passage.source for c in answer.citations] == ["Le Monde"]


WIRE = (
    "Le Parlement a adopté mardi soir la loi sur la transition énergétique, après deux ans de débats. "
    "Le texte prévoit de réduire de moitié la consommation d'énergie d'ici 2050 et de porter à 32 % la part des renouvelables."
)


def test_a_wire_story_on_several_sites_is_one_source_with_its_copies_listed(make_assistant):
    copies = [
        Article(id="afp-lexpress", title="Transition énergétique : la loi adoptée", source="L'Express", date="2024-05-14", text=WIRE),
        Article(id="afp-ouest", title="La loi sur la transition énergétique adoptée", source="Ouest-France", date="2024-05-14", text=WIRE + " (AFP)"),
    ]
    assistant = make_assistant({"renouvelables": "32 % [1]."}, top_k=3)
    assistant.ingest_articles(copies)
    stories = {a["id"]: a.get("story") for a in assistant.articles()}
    assert stories == {"afp-lexpress": None, "afp-ouest": "afp-lexpress"}, "the second copy joins the first one's story"
    answer = assistant.ask("Quelle part des renouvelables la loi prévoit-elle ?")
    [citation] = answer.citations  # the two copies say the same: one source, not two
    others = {"afp-lexpress": ("Ouest-France",), "afp-ouest": ("L'Express",)}
    assert citation.copies == others[citation.passage.article_id] and citation.to_dict()["copies"] == list(citation.copies)
    again = assistant.ingest_articles(copies)
    assert again.unchanged == ["afp-lexpress", "afp-ouest"], "the story found at ingest is not part of the content"


# -- questions across articles: which came out first, which speaks of what, how a figure changed ----

NEWS = [
    Article(id="greve", title="Grève à la SNCF : le trafic perturbé", source="Le Figaro", date="2024-01-15",
            text="La grève des contrôleurs de la SNCF a perturbé le trafic ce week-end. Un TGV sur deux a circulé samedi, selon la direction."),
    Article(id="crues", title="Crues : la Bretagne sous les eaux", source="Libération", date="2024-02-10",
            text="Les inondations ont touché 40 communes du Finistère. Les pompiers ont évacué 300 habitants pendant la nuit."),
    Article(id="seisme", title="Séisme en Turquie", source="Le Monde", date="2024-02-06", text=MONDE),
]


def test_which_of_two_articles_came_out_first_is_said_with_their_titles_outlets_and_dates(make_assistant):
    assistant = make_assistant()
    assistant.ingest_articles(NEWS)
    answer = assistant.ask("Du papier de Libération et de celui du Figaro, lequel est sorti d'abord ?")
    assert answer.text.startswith("Le premier publié : « Grève à la SNCF : le trafic perturbé » (Le Figaro, 15 janvier 2024) [1].")
    assert "Puis : « Crues : la Bretagne sous les eaux » (Libération, 10 février 2024) [2]." in answer.text
    assert [c.passage.article_id for c in answer.citations] == ["greve", "crues"], "each article cited by its own sentence"
    later = assistant.ask("Which came out last, the story on the floods or the one on the strike?")
    assert later.text.startswith('Published last: "Crues : la Bretagne sous les eaux" (Libération, 10 February 2024) [1].')
    assert [step.stage for step in later.trace][-1] == "summarize", "answered from the articles' dates: no model call"


def test_which_article_speaks_of_something_is_named_with_its_sentence(make_assistant):
    assistant = make_assistant()
    assistant.ingest_articles(NEWS)
    answer = assistant.ask("Des trois articles, lequel évoque les pompiers et les habitants évacués ?")
    assert answer.text.startswith("« Crues : la Bretagne sous les eaux » (Libération, 10 février 2024) : « Les pompiers ont évacué 300 habitants")
    assert [c.passage.article_id for c in answer.citations] == ["crues"]


def test_the_article_a_question_picks_by_date_is_summarized_under_its_title(make_assistant):
    assistant = make_assistant()
    assistant.ingest_articles(NEWS)
    answer = assistant.ask("De quoi parle l'article le plus ancien ?")
    lines = answer.text.splitlines()
    assert answer.outcome == "summary" and lines[0] == "« Grève à la SNCF : le trafic perturbé » (Le Figaro, 15 janvier 2024) :"
    assert {c.passage.article_id for c in answer.citations} == {"greve"} and len(lines) == 1 + len(answer.citations)
    newest = assistant.ask("Que dit le dernier article en date ?")
    assert newest.text.startswith("« Crues : la Bretagne sous les eaux » (Libération, 10 février 2024) :")


def test_a_comparison_finds_the_other_articles_figure_beyond_the_passages_the_model_read(make_assistant):
    # One passage read (top_k=1): without the comparison asked, the other outlet's figure is not seen.
    assistant = make_assistant({"bilan": "12 morts [1]."}, top_k=1)
    assistant.ingest_articles(QUAKE)
    plain = assistant.ask("Quel est le bilan du séisme en Turquie ?")
    assert "autre chiffre" not in plain.text
    answer = assistant.ask("Comment le bilan du séisme en Turquie a-t-il évolué d'un article à l'autre ?")
    [mine] = [c for c in answer.citations if c.passage.source in ("Le Monde", "Le Figaro")][:1]
    label = f"{mine.passage.source}, {'6 février 2024'}"
    assert answer.text.startswith(f"12 morts ({label}) [{mine.n}]"), answer.text
    other = next(c for c in answer.citations if c.passage.source == "Libération")
    assert f"Libération, 7 février 2024 donne un autre chiffre : 15 morts [{other.n}]." in answer.text
    assert len(answer.passages) == other.n, "the article added for the comparison is among the passages, numbered"


def test_the_latest_news_on_a_subject_is_the_newest_articles_summary_under_its_title(make_assistant):
    later = Article(id="greve-2", title="SNCF : la grève reconduite", source="Ouest-France", date="2024-01-18",
                    text="La grève des contrôleurs de la SNCF est reconduite jusqu'à dimanche. Deux TGV sur trois circuleront, selon la direction.")
    assistant = make_assistant()
    assistant.ingest_articles([*NEWS, later])
    for question in ("Quoi de neuf sur la grève des contrôleurs de la SNCF ?", "What's the latest on the SNCF strike?"):
        answer = assistant.ask(question)
        heading = answer.text.splitlines()[0]
        assert answer.outcome == "summary" and heading.startswith(("« SNCF : la grève reconduite » (Ouest-France, 18 ", '"SNCF')), answer.text
        assert {c.passage.article_id for c in answer.citations} == {"greve-2"}


PORTRAIT = Article(
    id="portrait", title="Un vieux routier de la politique", source="Le Figaro", date="2024-03-02",
    text=(
        "La réforme du travail divise la majorité à l'Assemblée. La réforme du travail sera votée en avril. "
        "Les syndicats du travail rejettent la réforme. La majorité soutient la réforme du travail. "
        "Le vote de la réforme du travail aura lieu en avril à l'Assemblée. Le patronat salue la réforme du travail. "
        "La gauche dénonce la réforme du travail et la majorité. Le Sénat examinera la réforme du travail en mai. "
        "Ses anciens camarades surnommaient le ministre « le Bulldozer », un surnom qu'il dit apprécier."
    ),
)


def test_what_a_named_article_says_on_a_point_puts_its_sentences_on_that_point_first(make_assistant, monkeypatch):
    from assistant.answering import summarize

    assistant = make_assistant()
    assistant.ingest_articles([PORTRAIT, NEWS[1]])
    question = "Que raconte Le Figaro sur le surnom du ministre ?"
    assert "Bulldozer" in assistant.ask(question).text
    monkeypatch.setattr(summarize, "FOCUS", 1.0)  # the point weighed as the article's subject is
    assert "Bulldozer" not in assistant.ask(question).text, "without the focus, the article's central sentences"
