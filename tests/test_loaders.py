import json
from dataclasses import replace

import pytest

from assistant.config import SAMPLE_ARTICLE
from assistant.errors import InputError
from assistant.ingest import find_files, load_file
from assistant.ingest.loaders import MAX_ARTICLE_BYTES

HTML = """<html><head><title>Un pont sur le Rhône | Le Journal</title>
<meta property="og:site_name" content="Le Journal"><meta name="date" content="2024-03-04"></head>
<body><nav>Accueil Politique Sport</nav><article><h1>Un pont sur le Rhône</h1>
<p>Le maire de Lyon a inauguré lundi un nouveau pont sur le Rhône, construit en deux ans par la métropole.</p>
<p>Les travaux ont mobilisé plus de 300 ouvriers, selon la mairie, qui promet une piste cyclable.</p>
</article><footer>Mentions légales</footer></body></html>"""


def test_text_file_keeps_its_text_and_a_title(tmp_path):
    path = tmp_path / "pont-sur-le-rhone.txt"
    path.write_text("Un pont sur le Rhône\n\nLe maire de Lyon a inauguré un pont.", encoding="utf-8")
    [article] = load_file(path).articles
    assert article.title == "Un pont sur le Rhône" and not article.title_from_text
    assert article.text.endswith("inauguré un pont.")
    assert article.source == str(path.resolve())


def test_a_dateline_lede_is_not_a_title_nor_is_the_file_name(tmp_path):
    path = tmp_path / "milley-zaluzhny.txt"
    path.write_text("SUD-EST DE LA POLOGNE – Le général " + "mot " * 60 + "fin.\n\nSuite.", encoding="utf-8")
    [article] = load_file(path).articles
    assert article.title.startswith("Le général mot mot") and article.title.endswith("…")
    assert "POLOGNE" not in article.title and "Milley" not in article.title
    assert article.text.startswith("SUD-EST DE LA POLOGNE – ")  # the text itself is kept whole


def test_the_sample_article_gets_a_headline_not_its_file_name():
    [article] = load_file(SAMPLE_ARTICLE).articles
    assert article.title == "Le général en chef du Pentagone a rencontré mardi pour la première fois en personne son homologue ukrainien…"
    assert article.title_from_text and article.language == "fr"


def test_front_matter_gives_the_metadata_and_leaves_the_text(tmp_path):
    path = tmp_path / "pont.md"
    path.write_text(
        "---\ntitle: Un pont sur le Rhône\ndate: 2024-03-04\nsource: leprogres.fr\nauthor: [Jeanne Martin]\n"
        "url: https://www.leprogres.fr/pont\nlanguage: fr\n---\n\n# Autre titre\n\nLe maire de Lyon a inauguré un pont.",
        encoding="utf-8",
    )
    [article] = load_file(path).articles
    assert (article.title, article.date, article.source, article.author) == ("Un pont sur le Rhône", "2024-03-04", "Le Progrès", "Jeanne Martin")
    assert article.url == "https://www.leprogres.fr/pont" and article.language == "fr"
    assert article.text.startswith("# Autre titre") and "---" not in article.text


def test_an_opening_rule_is_not_a_front_matter(tmp_path):
    path = tmp_path / "rule.txt"
    path.write_text("---\nUn paragraphe entre deux traits.\n---\nLa suite du texte.", encoding="utf-8")
    [article] = load_file(path).articles
    assert article.text.startswith("---\nUn paragraphe")


@pytest.mark.parametrize(
    "front, reason",
    [
        ("---\ntitle: [unclosed\n---\nTexte.", "not valid YAML"),
        ("---\ndate: bientôt\n---\nTexte.", "write it as"),
    ],
)
def test_a_bad_front_matter_is_rejected_with_what_to_fix(tmp_path, front, reason):
    path = tmp_path / "bad.md"
    path.write_text(front, encoding="utf-8")
    loaded = load_file(path)
    assert loaded.articles == [] and reason in loaded.rejected[0][1]


def test_markdown_heading_is_the_title(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("# Le titre\n\nDu texte.", encoding="utf-8")
    assert load_file(path).articles[0].title == "Le titre"


def test_html_page_yields_the_article_without_navigation(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    [article] = load_file(path).articles
    assert "300 ouvriers" in article.text
    assert "Mentions légales" not in article.text and "Accueil" not in article.text
    assert "pont" in article.title.lower()
    assert article.date == "2024-03-04"


def test_the_text_after_an_empty_inline_element_is_kept(tmp_path):
    """trafilatura drops an empty `<em></em>` or `<strong></strong>` with the text after it (as on
    the Gala page of ../shared/news): the loader unwraps such elements first."""
    page = HTML.replace("construit en deux ans", "construit<em></em> en deux ans par<strong></strong> les équipes de la métropole")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    [article] = load_file(path).articles
    assert "construit en deux ans par les équipes de la métropole" in article.text


def test_an_xhtml_page_declaring_its_encoding_is_read(tmp_path):
    path = tmp_path / "page.xhtml.html"
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + HTML.replace("<html>", '<html lang="fr">'), encoding="utf-8")
    [article] = load_file(path).articles
    assert (article.source, article.date, article.language) == ("Le Journal", "2024-03-04", "fr")


def test_jsonl_records_with_a_bad_line_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "news.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "Premier", "text": "Texte un.", "date": "2024-01-01", "source": "AFP"}),
        "{not json",
        json.dumps({"title": "Sans texte"}),
        "",
        json.dumps({"title": "Second", "text": "Texte deux.", "url": "https://example.org/2"}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    loaded = load_file(path)
    assert [a.title for a in loaded.articles] == ["Premier", "Second"]
    assert loaded.articles[0].id == "a1" and loaded.articles[0].source == "AFP"
    assert loaded.articles[1].id == "https://example.org/2"
    assert [where for where, _ in loaded.rejected] == [f"{path}:2", f"{path}:3"]
    assert "text" in loaded.rejected[1][1]


def test_json_list_of_records(tmp_path):
    path = tmp_path / "news.json"
    path.write_text(json.dumps([{"title": "A", "text": "Un."}, {"title": "B", "text": "Deux."}]), encoding="utf-8")
    assert [a.title for a in load_file(path).articles] == ["A", "B"]


def test_records_fields_are_read_by_their_usual_names_and_a_bad_date_rejects_only_its_record(tmp_path):
    path = tmp_path / "news.jsonl"
    records = [
        {
            "headline": "Premier",
            "text": "Le texte du premier article, publié par Libération le 30 avril.",
            "published": "30/04/2015",
            "site": "liberation.fr",
            "authors": ["AFP"],
        },
        {"title": "Second", "text": "The second article is in English, as its text says.", "date": "next week"},
        {"text": "Un article sans titre.\n\nSon texte continue ici."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    loaded = load_file(path)
    first, third = loaded.articles
    assert (first.title, first.date, first.source, first.author, first.language) == ("Premier", "2015-04-30", "Libération", "AFP", "fr")
    assert third.title == "Un article sans titre"
    [(where, why)] = loaded.rejected
    assert where == f"{path}:2" and "write it as" in why


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "no text"),
        ("blank.md", b"  \n\n ", "no text"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("photo.png", b"\x89PNG", "unsupported file type"),
        ("broken.json", b'{"title": ', "invalid JSON"),
        ("empty.html", b"<html><body><nav>Menu</nav></body></html>", "no article text"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    loaded = load_file(path)
    assert loaded.articles == []
    [(where, why)] = loaded.rejected
    assert where == str(path) and reason in why


def test_legacy_encoding_is_decoded(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le général est arrivé à Kyiv après une réunion à Bruxelles.".encode("cp1252"))
    assert "général" in load_file(path).articles[0].text


def test_oversized_article_is_rejected_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as out:
        out.truncate(MAX_ARTICLE_BYTES + 1)
    [(_, why)] = load_file(path).rejected
    assert "too large" in why and ".jsonl" in why


def test_folders_are_searched_recursively_and_missing_paths_fail(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "one.txt").write_text("x")
    (tmp_path / "a" / "b" / "two.md").write_text("y")
    (tmp_path / "a" / "b" / "skip.png").write_bytes(b"z")
    (tmp_path / "a" / ".hidden").mkdir()
    (tmp_path / "a" / ".hidden" / "three.txt").write_text("w")
    assert sorted(p.name for p in find_files([tmp_path / "a"])) == ["one.txt", "two.md"]
    with pytest.raises(InputError, match="no such file"):
        find_files([tmp_path / "missing.txt"])


def test_a_title_cut_from_the_text_is_shown_but_not_embedded_with_every_passage():
    from llama_index.core.schema import MetadataMode

    from assistant.ingest import chunk_text
    from assistant.store import make_nodes

    [article] = load_file(SAMPLE_ARTICLE).articles
    headlined = replace(article, title="Milley rencontre Zaluzhny", title_from_text=False)
    for a, embedded in ((article, False), (headlined, True)):
        node = make_nodes(a, chunk_text(a.text, 700, 200))[3]
        assert (a.title in node.get_content(metadata_mode=MetadataMode.EMBED)) == embedded
        assert node.metadata["title"] == a.title
