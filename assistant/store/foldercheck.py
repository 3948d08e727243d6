"""The checks of an index folder (`check`), and its repair.

Every segment the live catalog names is checked file by file against the sizes and sha256 it
keeps (`folder.CHECKSUMS`), and every catalog against its own checksum; then on what the files
hold: the chunks against their articles' records (and each chunk's length against its place in
the article), the vectors against the chunks (rows, dimension, finite values, and a sample
embedded again with the assistant's model), the keyword counts against the chunk texts (a
sample counted again), the near-duplicate bands against the signatures, the manifest against the
model installed, and the trained inverted lists (`ivf.faiss`) where the index needs them.

A repair holds the writers' lock and commits one new catalog, as a write does:
- a damaged segment is written again as a new segment from what is intact: the articles whose
  chunks all read back whole (the others are named), their keyword counts counted again from the
  chunk texts where those were damaged, their vectors embedded again (or left waiting for
  vectors, found by keywords, where the model does not load), their bands made again;
- a lost or damaged live catalog is made again from the newest intact one and the segments
  written after it (the newest copy of an article wins; an article removed after that catalog
  comes back); a damaged older catalog is removed;
- a lost or damaged `ivf.faiss` is trained again from the stored vectors.
A lost manifest is not made up: it is named, with what to do.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import IndexStoreError
from . import bands, folder, layouts
from .check import IDENTITY_KEYS, SAMPLE, Finding, Model, Report, compare_sample, model_findings
from .contract import MANIFEST_KEYS
from .folder import ARTICLES, BANDS, CHECKSUMS, CHUNKS, MANIFEST, POINTER, VECTORS, Catalog, Segment
from .keywords import COUNTS, LENGTHS, TERMS, TermCounts, tokens
from .lock import writer_lock
from .records import FORMAT_VERSION, chunk_node, keyword_language, keyword_text

KEYWORD_SAMPLE = 8  # chunks of each segment whose words are counted again
TEXT, KEYWORDS = (CHUNKS, ARTICLES), (TERMS, COUNTS, LENGTHS)


def check_folder(index_dir: Path, model: Model, repair: bool) -> Report:
    """What is wrong with the index folder; with `repair`, what was repaired and what remains."""
    command = f"assistant check --repair --index {index_dir}"
    if not repair or not index_dir.is_dir():
        return FolderCheck(index_dir, model).run().report(command)
    with writer_lock(index_dir):  # no writer commits between what is found and what is repaired
        found = FolderCheck(index_dir, model).run()
        repaired, lost = found.repair()
    report = FolderCheck(index_dir, model).run().report(command)
    report.repaired, report.lost = repaired, lost
    return report


@dataclass
class Part:
    """One segment of the live catalog as read for checking: what each of its files holds, or
    None where it does not read back, and what is wrong with which file."""

    entry: dict
    bad: dict[str, str] = field(default_factory=dict)  # file name -> what is wrong with it
    rows: list[dict | None] | None = None  # chunks.jsonl's lines; None for one that does not read back whole
    articles: dict | None = None
    counts: TermCounts | None = None
    vectors: np.ndarray | None = None
    verified: int = 0  # files whose checksum matched

    @property
    def name(self) -> str:
        return self.entry["name"]

    def live(self) -> list[str]:
        removed = set(self.entry["removed"])
        return [a for a in self.articles or () if a not in removed]

    def spans(self) -> dict[str, range]:
        """Article id -> its rows, as articles.json lays them out."""
        found, row = {}, 0
        for article_id, record in (self.articles or {}).items():
            found[article_id] = range(row, row + len(record.get("node_ids", ())))
            row += len(found[article_id])
        return found

    def intact(self) -> dict[str, range]:
        """The live articles whose every chunk reads back whole, in their place: what a rewrite keeps."""
        if self.rows is None or self.articles is None:
            return {}
        spans, kept = self.spans(), {}
        for article_id in self.live():
            node_ids = self.articles[article_id].get("node_ids", ())
            rows = spans[article_id]
            if all(row < len(self.rows) and self.rows[row] is not None and self.rows[row]["id"] == node for row, node in zip(rows, node_ids)):
                kept[article_id] = rows
        return kept


class FolderCheck:
    """The checks of one index folder, and the repair of what they found."""

    def __init__(self, index_dir: Path, model: Model) -> None:
        self.dir, self.model = Path(index_dir), model
        self.findings: list[Finding] = []
        self.checked: list[str] = []
        self.manifest: dict | None = None
        self.catalog: Catalog | None = None  # the live one, or the one a repair makes again
        self.parts: list[Part] = []
        self.rebuilt = False  # the live catalog is made again (`_rebuilt`): a repair commits it
        self.draft: Catalog | None = None  # what the repair commits
        self.repaired: list[str] = []
        self.lost: list[str] = []
        self._retrain = False

    def run(self) -> FolderCheck:
        if not self._has_index():
            return self
        self._check_manifest()
        self._check_catalogs()
        if self.catalog is not None:
            self.parts = [self._check_segment(entry) for entry in self.catalog.segments]
            self._summarise()
            self._check_duplicates()
            self._check_vectors_sample()
            self._check_trained()
        return self

    def report(self, command: str) -> Report:
        return Report(f"the index in {self.dir}", command, self.checked, self.findings)

    def _found(self, problem: str, remedy: str, repair: Callable[[], None] | None = None) -> None:
        self.findings.append(Finding(problem, remedy, repair is not None, repair))

    # -- what is there -----------------------------------------------------------------------

    def _has_index(self) -> bool:
        if any(self.dir.glob("seg-*")) or any(self.dir.glob("catalog-*.json")) or (self.dir / POINTER).exists():
            return True
        if (self.dir / MANIFEST).is_file():
            self.checked.append("an empty index (a manifest, no article yet)")
            return False
        self._found(f"there is no index in {self.dir}", "give the folder of an index (--index, $ASSISTANT_INDEX), or ingest articles into this one")
        return False

    def _check_manifest(self) -> None:
        try:
            self.manifest = folder.read_manifest(self.dir)
        except IndexStoreError as error:
            self._found(f"{MANIFEST} is damaged ({error.__cause__})", _NO_MANIFEST)
            return
        if self.manifest is None:
            self._found(f"{MANIFEST} is missing", _NO_MANIFEST)
            return
        missing = MANIFEST_KEYS - set(self.manifest) - {"language"}  # an index made before it was kept is French
        if self.manifest.get("format") != FORMAT_VERSION or missing:
            self._found(f"{MANIFEST} is of format {self.manifest.get('format')} or lacks {', '.join(sorted(missing))}", _NO_MANIFEST)
            self.manifest = None
            return
        self.checked.append(f"manifest: {self.manifest['embed_model']}, {self.manifest['dimension']} dimensions, keywords in {keyword_language(self.manifest)}")
        self.findings += model_findings(self.manifest, self.model)

    # -- catalogs ----------------------------------------------------------------------------

    def _check_catalogs(self) -> None:
        try:
            live = (self.dir / POINTER).read_text().strip()
        except FileNotFoundError:
            live = None
        readable: dict[str, Catalog] = {}
        damaged: dict[str, str] = {}
        for path in sorted(self.dir.glob("catalog-*.json")):
            try:
                readable[path.name] = Catalog.read(self.dir, path.name)
            except IndexStoreError as error:
                damaged[path.name] = str(error).split(" (", 1)[-1].split("): run")[0]
                if path.name != live:  # the live one is made again, below
                    self._found(
                        f"{path.name}, an earlier commit's catalog, is damaged ({damaged[path.name]})",
                        "remove it (writers stop sweeping while it is there)",
                        _unlink(path, self.repaired),
                    )
        if live in readable:
            self.catalog = readable[live]
            self.checked.append(f"catalog: {live}, {len(readable)} catalog{'s' if len(readable) > 1 else ''} read back whole")
            return
        base = max(readable.values(), key=lambda c: c.commit, default=None)
        self.catalog, newer = self._rebuilt(base)
        self.rebuilt = True
        if live is None:
            problem = f"{POINTER} is missing: the assistant sees an empty index"
        elif live in damaged:
            problem = f"the live catalog is damaged ({damaged[live]})"
        else:
            problem = f"the live catalog {live} is missing ({POINTER} names it)"
        since = f"{_catalog_name(base)} and the {_count(newer, 'segment')} written after it" if base else f"the {_count(newer, 'segment')} on disk"
        remedy = f"make a new one from {since} (an article removed after {'it' if base else 'they were written'} comes back: remove it again)"

        def remake() -> None:  # committed with the rest; the damaged one goes
            if live in damaged:
                (self.dir / live).unlink(missing_ok=True)
            self.repaired.append(f"made the live catalog again from {since}")

        self._found(problem, remedy, remake)

    def _rebuilt(self, base: Catalog | None) -> tuple[Catalog, int]:
        """The live catalog made again: `base` (the newest intact one) with the segments written
        after it, the newest copy of an article taking the place of the older ones."""
        catalog = Catalog(
            base.commit if base else 0, base.next_id if base else 0, [{**s, "removed": list(s["removed"])} for s in base.segments] if base else []
        )
        catalog.manifest = base.manifest if base else None
        named = {s["name"] for s in catalog.segments}
        after = base.commit if base else -1
        newer = sorted(
            (p for p in self.dir.glob("seg-*") if p.is_dir() and p.name not in named and _commit_of(p.name) > after),
            key=lambda p: (_commit_of(p.name), p.stat().st_mtime_ns),
        )
        for path in newer:
            chunks = sum(1 for _ in (path / CHUNKS).open("rb")) if (path / CHUNKS).is_file() else 0
            catalog.segments.append({"name": path.name, "first_id": catalog.next_id, "chunks": chunks, "embedded": (path / VECTORS).is_file(), "removed": []})
            catalog.next_id += chunks
        for entry in catalog.segments:  # vectors committed by a lost catalog
            entry["embedded"] = entry["embedded"] or (self.dir / entry["name"] / VECTORS).is_file()
        holder: dict[str, dict] = {}
        for entry in catalog.segments:
            try:
                held = json.loads((self.dir / entry["name"] / ARTICLES).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # the segment's check names it
            for article_id in held:
                if article_id in holder and article_id not in holder[article_id]["removed"]:
                    holder[article_id]["removed"].append(article_id)
                holder[article_id] = entry
        catalog.segments = [e for e in catalog.segments if e["name"] in named or any(h is e for h in holder.values())]
        return catalog, len(newer)

    # -- segments ----------------------------------------------------------------------------

    def _check_segment(self, entry: dict) -> Part:
        part = Part(entry)
        path = self.dir / part.name
        if not path.is_dir():
            part.bad[part.name] = "missing"
            self._found(
                f"segment {part.name} is missing ({entry['chunks']} chunks)",
                "drop it from the index; its articles are lost (their ids were in it): ingest them again",
                lambda: self._rewrite(part),
            )
            return part
        self._verify_files(part, path)
        self._read_part(part, path)
        if part.counts is not None and part.rows is not None and not set(KEYWORDS) & set(part.bad):
            self._check_keywords_sample(part)
        if part.bad:
            self._found(_segment_problem(part), self._segment_remedy(part), lambda: self._rewrite(part))
        return part

    def _verify_files(self, part: Part, path: Path) -> None:
        try:
            sums = folder.read_checksums(path) or {}
        except (OSError, ValueError):
            part.bad[CHECKSUMS] = "does not read back"
            sums = {}
        wanted = [*TEXT, *KEYWORDS, *((VECTORS,) if part.entry["embedded"] else ())]
        for name in [*wanted, *(n for n in sums if n not in wanted and n != VECTORS)]:
            file = path / name
            if not file.is_file():
                if name in sums or name != BANDS:  # a segment written before bands were kept gets them from the next writer
                    part.bad[name] = "missing"
                continue
            if name not in sums:
                continue
            size, written = file.stat().st_size, sums[name]
            if size != written["bytes"]:
                part.bad[name] = (
                    f"cut short: {size:,} of {written['bytes']:,} bytes" if size < written["bytes"] else f"{size:,} bytes, {written['bytes']:,} written"
                )
            elif folder.file_digest(file)["sha256"] != written["sha256"]:
                part.bad[name] = "changed since it was written (its checksum differs)"
            else:
                part.verified += 1

    def _read_part(self, part: Part, path: Path) -> None:
        """What each file holds, and whether it agrees with the others."""
        rows = part.entry["chunks"]
        part.rows = _read_rows(path / CHUNKS) if (path / CHUNKS).is_file() else None
        if part.rows is not None and (None in part.rows or len(part.rows) != rows):
            part.bad.setdefault(CHUNKS, f"{len(part.rows) - part.rows.count(None)} of its {rows} chunks read back whole")
        part.articles = _attempt(lambda: json.loads((path / ARTICLES).read_text(encoding="utf-8")), part, ARTICLES)
        if part.rows is not None and part.articles is not None and CHUNKS not in part.bad:
            named = [node for record in part.articles.values() for node in record.get("node_ids", ())]
            if named != [row["id"] for row in part.rows]:
                part.bad[CHUNKS] = f"its {rows} chunks are not those {ARTICLES} names ({len(named)})"
        if not set(KEYWORDS) & set(part.bad):
            part.counts = _attempt(lambda: TermCounts.load(path), part, COUNTS)
            if part.counts is not None and (part.counts.counts.shape != (rows, len(part.counts.terms)) or len(part.counts.lengths) != rows):
                part.bad[COUNTS], part.counts = f"holds {part.counts.counts.shape[0]} rows for {rows} chunks", None
        if part.entry["embedded"] and VECTORS not in part.bad:
            part.vectors = _attempt(lambda: np.load(path / VECTORS, mmap_mode="r"), part, VECTORS)
            self._check_vectors(part)
        if (path / BANDS).is_file() and BANDS not in part.bad and part.articles is not None:
            lookup = _attempt(lambda: np.load(path / BANDS), part, BANDS)
            if lookup is not None and not np.array_equal(lookup, bands.table([r.get("minhash") or () for r in part.articles.values()])):
                part.bad[BANDS] = "does not match the articles' signatures"

    def _check_vectors(self, part: Part) -> None:
        vectors, rows = part.vectors, part.entry["chunks"]
        dimension = self.manifest["dimension"] if self.manifest else None
        if vectors is None:
            return
        if vectors.ndim != 2 or len(vectors) != rows or (dimension and vectors.shape[1] != dimension):
            part.bad[VECTORS] = f"holds {'x'.join(map(str, vectors.shape))} values for {rows} chunks of {dimension} dimensions"
        elif not np.isfinite(vectors).all():
            part.bad[VECTORS] = "holds values that are not numbers"
        if VECTORS in part.bad:
            part.vectors = None

    def _check_keywords_sample(self, part: Part) -> None:
        """Count a few chunks' words again: they must be those stored (the title with the
        passage, or the passage alone in a segment written before the title was counted)."""
        language = keyword_language(self.manifest or {})
        stored, records = part.counts.counts.tocsr(), _record_of_rows(part)
        rows = [r for r in range(len(part.rows)) if part.rows[r] is not None and r in records]
        for row in np.random.default_rng(len(rows)).permutation(rows)[:KEYWORD_SAMPLE].tolist():
            held = stored.getrow(row)
            found = Counter({part.counts.terms[column]: round(float(value)) for column, value in zip(held.indices, held.data)})
            texts = [_ingested_text(part.rows[row], records[row]), part.rows[row]["text"]]
            if not any(Counter(tokens(text, language)) == found for text in texts):
                part.bad[COUNTS] = f"the words counted for chunk {part.rows[row]['id']} are not those of its text"
                part.counts = None
                return

    def _segment_remedy(self, part: Part) -> str:
        if part.rows is None or part.articles is None or set(TEXT) & set(part.bad):
            kept, lost = part.intact(), _lost(part)
            if not lost and part.articles is not None:
                return f"write the segment again with its {_count(len(kept), 'article')}, whose chunks all read back whole"
            names = ", ".join(lost[:10]) + (f" and {len(lost) - 10} more" if len(lost) > 10 else "")
            dropped = f"{_count(len(lost), 'article')} it cannot recover: {names}" if lost else "the others (their ids are unreadable)"
            return f"keep the {_count(len(kept), 'article')} whose chunks read back whole and drop {dropped} (ingest them again)"
        redone = []
        if set(KEYWORDS) & set(part.bad):
            redone.append("its keyword counts counted again from the chunk texts")
        if VECTORS in part.bad:
            usable = self.model.get() is not None
            redone.append(
                "its vectors embedded again" if usable else f"its chunks waiting for vectors (found by keywords) until the model loads ({self.model.error})"
            )
        if BANDS in part.bad:
            redone.append("its near-duplicate bands made again from the signatures")
        return "write the segment again with " + (" and ".join(redone) or "its checksums")

    def _check_duplicates(self) -> None:
        holders: dict[str, list[Part]] = {}
        for part in self.parts:
            for article_id in part.live():
                holders.setdefault(article_id, []).append(part)
        twice = {a: parts for a, parts in holders.items() if len(parts) > 1}
        if twice:
            some = ", ".join(list(twice)[:5])
            self._found(f"{len(twice)} articles are live in two segments at once ({some})", "keep the newest copy of each", lambda: self._keep_newest(twice))

    # -- vectors -----------------------------------------------------------------------------

    def _check_vectors_sample(self) -> None:
        """Embed a few chunks again with the assistant's model: their vectors must be those stored."""
        readable = [part for part in self.parts if part.vectors is not None and part.rows is not None]
        candidates = [(part, row) for part in readable for row in _live_rows(part) if row < len(part.rows) and part.rows[row] is not None]
        if not candidates or self.manifest is None:
            return
        chosen = [candidates[n] for n in sorted(np.random.default_rng(0).permutation(len(candidates))[:SAMPLE].tolist())]
        sample = [(np.asarray(part.vectors[row], dtype=np.float32), part.rows[row]) for part, row in chosen]
        compare_sample(sample, self.manifest, self.model, self.checked, self.findings)

    def _check_trained(self) -> None:
        """Past the size where vector search uses inverted lists, their trained form must be kept
        (`local.TRAINED`): without it every process that opens the index trains them again."""
        from .local import TRAINED

        embedded = sum(len(_live_rows(part)) for part in self.parts if part.vectors is not None)
        if embedded < layouts.APPROXIMATE_FROM or self.manifest is None:
            return
        path = self.dir / TRAINED
        problem = None
        if not path.is_file():
            problem = f"{TRAINED} (the trained inverted lists) is missing"
        else:
            from .vectors import _read_trained

            trained = _read_trained(path)
            if trained is None or trained.d != self.manifest["dimension"]:
                problem = f"{TRAINED} (the trained inverted lists) is damaged"
        if problem is None:
            self.checked.append(f"{TRAINED}: the trained inverted lists read back")
            return

        def retrain() -> None:
            path.unlink(missing_ok=True)
            self._retrain = True

        self._found(
            f"{problem}: every process that opens the index trains them again ({embedded:,} vectors)",
            f"train them again from the {embedded:,} stored vectors",
            retrain,
        )

    def _summarise(self) -> None:
        articles = sum(len(part.live()) for part in self.parts)
        chunks = sum(len(_live_rows(part)) for part in self.parts)
        self.checked.append(f"{_count(len(self.parts), 'segment')}, {_count(articles, 'article')}, {_count(chunks, 'chunk')}")
        verified = sum(part.verified for part in self.parts)
        unchecked = sum(1 for part in self.parts if part.verified == 0 and not part.bad)
        line = f"checksums: {verified} files verified"
        self.checked.append(line + (f"; {unchecked} segments written before checksums were kept, checked on what they hold" if unchecked else ""))

    # -- repair ------------------------------------------------------------------------------

    def repair(self) -> tuple[list[str], list[str]]:
        """Repair what was found (the caller holds the writers' lock); returns what was done
        and what was lost."""
        if self.catalog is None or not any(f.repairable for f in self.findings):
            return self.repaired, self.lost
        # Above every catalog and segment on disk: segments written after a catalog keep numbers above its own.
        commits = [_commit_of_catalog(p.name) for p in self.dir.glob("catalog-*.json")] + [_commit_of(p.name) for p in self.dir.glob("seg-*")]
        self.draft = self.catalog.next()
        self.draft.commit = max([self.catalog.commit, *commits]) + 1
        before = json.dumps(self.draft.segments, sort_keys=True)
        for finding in self.findings:
            if finding.repair is not None:
                finding.repair()
        self._drop_empty()
        if self.rebuilt or json.dumps(self.draft.segments, sort_keys=True) != before:
            name = folder.commit(self.dir, self.draft)
            self.repaired.append(f"committed {name} ({_count(len(self.draft.segments), 'segment')})")
        if self._retrain:
            self._open_store()
        return self.repaired, self.lost

    def _rewrite(self, part: Part) -> None:
        """Write the segment again from what is intact, in place of the damaged one."""
        kept, lost = part.intact(), _lost(part)
        position = next(n for n, e in enumerate(self.draft.segments) if e["name"] == part.name)
        del self.draft.segments[position]
        if lost:
            self.lost += lost
        elif part.articles is None or part.rows is None:
            self.lost.append(f"the articles of {part.name} ({_count(part.entry['chunks'], 'chunk')}; their ids were in it)")
        if not kept:
            self.repaired.append(f"dropped {part.name}: nothing in it could be kept")
            return
        segment = self._write_kept(part, kept)
        entry = {"name": segment.name, "first_id": self.draft.next_id, "chunks": len(segment.chunks), "embedded": segment.vectors is not None, "removed": []}
        self.draft.segments.insert(position, entry)
        self.draft.next_id += len(segment.chunks)
        dropped = f", {_count(len(lost), 'article')} dropped" if lost else ""
        waiting = "" if segment.vectors is not None or not part.entry["embedded"] else ", its chunks waiting for vectors"
        self.repaired.append(f"wrote {part.name} again as {segment.name} ({_count(len(kept), 'article')} kept{dropped}{waiting})")
        part.entry = entry  # later repairs (duplicates) find it under its new name
        part.articles, part.rows = segment.articles, list(segment.chunks)

    def _write_kept(self, part: Part, kept: dict[str, range]) -> Segment:
        rows = np.asarray([row for span in kept.values() for row in span], dtype=np.int64)
        chunks = [part.rows[row] for row in rows.tolist()]
        articles = {article_id: part.articles[article_id] for article_id in kept}
        records = [articles[a] for a, span in kept.items() for _ in span]
        if part.counts is not None:
            counts = TermCounts.merged([(part.counts, rows)])
        else:
            language = keyword_language(self.manifest or {})
            counts = TermCounts.of([_ingested_text(chunk, record) for chunk, record in zip(chunks, records)], language)
        vectors = None
        if part.entry["embedded"]:
            vectors = np.asarray(part.vectors)[rows] if part.vectors is not None else self._embed(chunks, records)
        name = f"seg-{self.draft.commit:08d}-{uuid.uuid4().hex[:8]}"
        return folder.write_segment(self.dir, name, chunks, articles, vectors, counts)

    def _embed(self, chunks: list[dict], records: list[dict]) -> np.ndarray | None:
        """The chunks' vectors with the index's model; None (they wait for vectors, found by
        keywords meanwhile, embedded by the next ingest) when it does not load."""
        loaded = self.model.get()
        if loaded is None:
            return None
        texts = [_ingested_text(chunk, record) for chunk, record in zip(chunks, records)]
        return np.asarray(loaded[0].get_text_embedding_batch(texts), dtype=np.float32)

    def _keep_newest(self, twice: dict[str, list[Part]]) -> None:
        live = {e["name"] for e in self.draft.segments}
        for article_id, parts in twice.items():
            for part in [p for p in parts if p.name in live][:-1]:  # the draft keeps the catalog's order: the last is the newest
                self.draft.entry(part.name)["removed"].append(article_id)
        self.repaired.append(f"kept the newest copy of {len(twice)} articles live in two segments")

    def _drop_empty(self) -> None:
        """Segments all of whose articles are removed leave the catalog (as a write drops them)."""
        held = {part.name: set(part.articles or ()) for part in self.parts if part.articles is not None}
        self.draft.segments = [e for e in self.draft.segments if e["name"] not in held or not held[e["name"]] <= set(e["removed"])]

    def _open_store(self) -> None:
        """Open the repaired index as the assistant does: that trains the inverted lists again and
        keeps them (`vectors.Vectors.refit`)."""
        from .local import TRAINED, FolderStore
        from .migrate import FixedDimension

        manifest = folder.read_manifest(self.dir)
        stand_in = FixedDimension(dimension=manifest["dimension"], model_name=manifest["embed_model"])
        identity = {**{key: manifest[key] for key in IDENTITY_KEYS}, "language": keyword_language(manifest)}
        FolderStore(self.dir, stand_in, identity, manifest["chunking"])
        if (self.dir / TRAINED).is_file():
            self.repaired.append(f"trained {TRAINED} again from the stored vectors")


_NO_MANIFEST = (
    "put back manifest.json from a backup (it names the embedding model, dimension and chunking "
    "the index was made with); without it, ingest the articles again into a new folder"
)


def _segment_problem(part: Part) -> str:
    files = "; ".join(f"{name} {why}" for name, why in part.bad.items())
    return f"segment {part.name} is damaged: {files}"


def _read_rows(path: Path) -> list[dict | None]:
    """chunks.jsonl's lines, each None where it does not read back whole: not JSON, or a text
    whose length is not that of its place in the article (a line cut short)."""
    rows: list[dict | None] = []
    with path.open("rb") as lines:
        for line in lines:
            try:
                chunk = json.loads(line.decode("utf-8"))
            except ValueError:
                rows.append(None)
                continue
            rows.append(chunk if _whole(chunk) else None)
    return rows


def _whole(chunk) -> bool:
    if not isinstance(chunk, dict) or not isinstance(chunk.get("text"), str) or not isinstance(chunk.get("metadata"), dict) or "id" not in chunk:
        return False
    start, end = chunk["metadata"].get("start"), chunk["metadata"].get("end")
    return start is None or end is None or len(chunk["text"]) == end - start


def _attempt(read: Callable, part: Part, name: str):
    """What `read` returns, or None with the file named damaged."""
    try:
        return read()
    except FileNotFoundError:
        part.bad.setdefault(name, "missing")
    except Exception as error:  # json, numpy, scipy and zipfile each fail their own way on a cut file
        part.bad.setdefault(name, f"does not read back ({type(error).__name__})")
    return None


def _record_of_rows(part: Part) -> dict[int, dict]:
    return {row: part.articles[a] for a, span in part.spans().items() for row in span} if part.articles else {}


def _live_rows(part: Part) -> list[int]:
    if part.articles is None:
        return []
    spans = part.spans()
    return [row for article_id in part.live() for row in spans[article_id]]


def _lost(part: Part) -> list[str]:
    """The live articles a rewrite cannot keep: by articles.json, or where it does not read back,
    by the article ids the chunks that do read back name."""
    if part.articles is not None:
        kept = part.intact()
        return [a for a in part.live() if a not in kept]
    named = (row["metadata"].get("article_id") for row in part.rows or () if row is not None)
    return [a for a in dict.fromkeys(named) if a and a not in part.entry["removed"]]


def _ingested_text(chunk: dict, record: dict) -> str:
    """A chunk's words as ingested (`records.keyword_text`): with the title, unless the title is
    only the text's first sentence."""
    return keyword_text(chunk_node(chunk["id"], chunk["text"], chunk["metadata"], embed_title=not record.get("title_from_text")))


def _unlink(path: Path, repaired: list[str]) -> Callable[[], None]:
    def remove() -> None:
        path.unlink(missing_ok=True)
        repaired.append(f"removed the damaged {path.name}")

    return remove


def _commit_of(segment_name: str) -> int:
    try:
        return int(segment_name.split("-")[1])
    except (IndexError, ValueError):
        return -1


def _commit_of_catalog(name: str) -> int:
    try:
        return int(name.removeprefix("catalog-").removesuffix(".json"))
    except ValueError:
        return -1


def _catalog_name(catalog: Catalog) -> str:
    return f"catalog-{catalog.commit:08d}.json"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
