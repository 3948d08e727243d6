"""`assistant check [--repair]`: what is wrong with an index, in words a person can act on, and
the repair of what can be rebuilt from what is intact.

Each store is checked on what it keeps: an index folder by `foldercheck` (every segment's files
against their sizes and sha256, each catalog against its checksum, then what the files hold),
PostgreSQL by `pgcheck` (the tables against each other). Both compare a sample of stored vectors
with the chunks embedded again by the assistant's model, and the keyword statistics with the
chunk texts, and check the manifest against the model installed. A repair rebuilds what can be
rebuilt from what is intact, and names the articles it cannot recover; what cannot be repaired
is named with what the person must do (`Finding.remedy`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from ..errors import AssistantError
from .records import chunk_node, keyword_text

SAMPLE = 16  # chunks embedded again and compared with their stored vectors
AGREES = 0.98  # the cosine they must reach (the same model gives 0.9999 and more)
IDENTITY_KEYS = ("embed_model", "query_prefix", "passage_prefix")

# Loads the assistant's embedding model and says its identity (`records.check_compatible`'s keys
# and `language`): called once, when a sample or a repair needs it; loading may fail, which is a finding.
Loader = Callable[[], tuple[BaseEmbedding, dict]]


@dataclass
class Finding:
    """One thing wrong with the index: what it is, and what `--repair` does about it or what the
    person must do (`repairable` says which)."""

    problem: str
    remedy: str
    repairable: bool = True
    repair: Callable[[], None] | None = field(default=None, repr=False)


@dataclass
class Report:
    """What `check` found (and, with `repair`, did), printed by `text`."""

    where: str
    command: str  # the repair's command line, for the message
    checked: list[str] = field(default_factory=list)  # what was verified, a line each
    findings: list[Finding] = field(default_factory=list)  # what is wrong (after a repair: what remains)
    repaired: list[str] = field(default_factory=list)  # what the repair did
    lost: list[str] = field(default_factory=list)  # articles the repair dropped, or chunks whose articles it cannot name

    @property
    def healthy(self) -> bool:
        """Nothing wrong, and nothing lost that the person must ingest again."""
        return not self.findings and not self.lost

    def text(self) -> str:
        lines = [f"Checked {self.where}", *(f"  {line}" for line in self.checked)]
        if self.repaired:
            lines += ["Repaired:", *(f"  - {line}" for line in self.repaired)]
        if self.lost:
            lines += ["Lost, to ingest again from their sources:", *(f"  - {what}" for what in self.lost)]
        if not self.findings:
            gone = "; the articles above are no longer in the index." if self.lost else "."
            lines.append(f"No problem remains{gone}" if self.repaired else "No problem found.")
            return "\n".join(lines)
        many = len(self.findings) > 1
        lines.append(f"{len(self.findings)} problem{'s' if many else ''}" + ((" remain:" if many else " remains:") if self.repaired else ":"))
        for number, finding in enumerate(self.findings, 1):
            lines += [f"  {number}. {finding.problem}", f"     {'repair' if finding.repairable else 'to do'}: {finding.remedy}"]
        repairable = sum(f.repairable for f in self.findings)
        if repairable and not self.repaired:
            lines.append(f"`{self.command}` repairs {repairable} of them." if len(self.findings) > 1 else f"`{self.command}` repairs it.")
        return "\n".join(lines)


class Model:
    """The assistant's embedding model, loaded on first use; `error` says why it could not be."""

    def __init__(self, load: Loader) -> None:
        self._load, self._loaded, self.error = load, None, None

    def get(self) -> tuple[BaseEmbedding, dict] | None:
        """The model and its identity; None once it failed to load or was found unfit (`error`)."""
        if self._loaded is None and self.error is None:
            try:
                self._loaded = self._load()
            except AssistantError as error:
                self.error = str(error)
        return None if self.error else self._loaded


def check(where: str, load_model: Loader, repair: bool = False) -> Report:
    """Check the index at `where` (a folder, or a postgresql:// URL) and, with `repair`, repair it.

    Args:
        where: the index's location, as `open_location` takes it.
        load_model: loads the assistant's embedding model with its identity (the sample of
            vectors is embedded again with it, and a repair embeds with it).
        repair: rebuild what can be rebuilt; the report then says what was done, what was lost
            and what remains.
    """
    from . import folder_path, scheme_of

    scheme = scheme_of(where)
    if scheme in ("postgresql", "postgres"):
        from .pgcheck import check_postgres

        return check_postgres(where, Model(load_model), repair)
    if scheme == "memory":
        return Report(where, "", ["a memory store lives in its process only: nothing on disk to check"])
    from .foldercheck import check_folder

    return check_folder(folder_path(where), Model(load_model), repair)


def model_findings(manifest: dict, model: Model) -> list[Finding]:
    """The manifest against the model the assistant is set to: it must load, be the index's (name
    and prefixes), and give the index's dimension. A model found unfit is not used afterwards."""
    loaded = model.get()
    if loaded is None:
        return [Finding(f"the embedding model cannot be loaded here ({model.error})", NO_MODEL, False)]
    embed, identity = loaded
    for key in IDENTITY_KEYS:
        built, set_to = manifest.get(key), identity.get(key)
        if built != set_to:
            model.error = "it is not the index's model"
            problem = f"the index was built with {key.replace('_', ' ')} {built!r}, the assistant is set to {set_to!r}: it refuses the index"
            return [Finding(problem, OTHER_SETTING, False)]
    dimension = len(embed.get_query_embedding("dimension"))
    if dimension != manifest["dimension"]:
        model.error = "its vectors have another dimension"
        return [Finding(f"the embedding model installed gives {dimension} dimensions, the index holds {manifest['dimension']}", OTHER_MODEL, False)]
    return []


def compare_sample(sample: list[tuple[np.ndarray, dict]], manifest: dict, model: Model, checked: list[str], findings: list[Finding]) -> None:
    """Embed the sampled chunks ({id, text, metadata}) again and compare each with its stored
    vector: a line in `checked` when they agree, a finding when they do not."""
    loaded = model.get()
    if loaded is None:
        checked.append(f"vectors: not compared with the model ({model.error})")
        return
    # A chunk is embedded with its title, or without it where the title is only the text's first
    # sentence; a large ingest's background embedding and a re-embedding may differ on which.
    texts = [keyword_text(chunk_node(chunk["id"], chunk["text"], chunk["metadata"], embed_title=title)) for _, chunk in sample for title in (True, False)]
    fresh = np.asarray(loaded[0].get_text_embedding_batch(texts), dtype=np.float32).reshape(len(sample), 2, -1)
    cosines = [max(cosine(stored, vector) for vector in pair) for (stored, _), pair in zip(sample, fresh)]
    low = min(cosines)
    if low >= AGREES:
        checked.append(f"vectors: {len(cosines)} chunks embedded again agree with those stored (cosine {low:.4f} at worst)")
        return
    disagree = sum(c < AGREES for c in cosines)
    findings.append(
        Finding(
            f"{disagree} of {len(cosines)} chunks embedded again with {manifest['embed_model']} disagree with their stored vectors "
            f"(cosine {low:.3f} at worst, {AGREES} expected): the model installed is not the one that made them",
            OTHER_MODEL,
            False,
        )
    )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Of two vectors; 1 for two zero vectors (a text without a word, embedded alike twice)."""
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else (1.0 if not a.any() and not b.any() else 0.0)


NO_MODEL = "install it, or point --embed-model at it: questions and ingests need it"
OTHER_SETTING = "use the index's model (--embed-model / ASSISTANT_EMBED_MODEL), or re-embed the index with this one (`assistant reembed`)"
OTHER_MODEL = "install the model the index was made with, or re-embed the index with this one (`assistant reembed`)"
