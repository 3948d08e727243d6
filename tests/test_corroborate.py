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
