"""Prompt templates, read from prompts/*.txt and rendered strictly (a missing variable fails)."""

from __future__ import annotations

import json
import string
from functools import cache

from llama_index.core import PromptTemplate

from .config import PROMPTS_DIR
from .errors import AssistantError

REFUSAL_WORD = "INTROUVABLE"  # what prompts/answer_system.txt and its examples tell the model to write


@cache
def load(name: str) -> PromptTemplate:
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return PromptTemplate(path.read_text(encoding="utf-8").strip())
    except OSError as error:
        raise AssistantError(f"prompt template {path} is missing: reinstall the package") from error


def render(name: str, **values: str) -> str:
    """Fill a template; unlike str.format_map in some llama-index paths, every variable is required
    and no extra one is accepted, so a renamed variable in a prompt file fails loudly."""
    template = load(name)
    expected = {field for _, field, _, _ in string.Formatter().parse(template.template) if field}
    if expected != set(values):
        raise AssistantError(f"prompt {name!r} expects {sorted(expected)}, was given {sorted(values)}")
    return template.format(**values)


def answer_messages(context_str: str, query_str: str, language: str) -> list[dict]:
    """The chat for one answer: fixed instructions and worked examples (prompts/answer_*), then
    the question. The fixed part comes first so llama.cpp reuses its cached state across questions."""
    return _chat("answer", context_str=context_str, query_str=query_str, language=language)


def question_messages(title: str, sentence: str) -> list[dict]:
    """The chat that asks the model for a question one sentence answers, with the answer
    (prompts/question_*: `lab.generate_questions`, the reader's training data)."""
    return _chat("question", title=title, sentence=sentence)


def _chat(name: str, **values: str) -> list[dict]:
    """prompts/<name>_system.txt, then each of prompts/<name>_examples.json as the user's
    prompts/<name>.txt and the assistant's answer, then `values` in prompts/<name>.txt."""
    messages = [{"role": "system", "content": render(f"{name}_system")}]
    for example in _examples(name):
        messages.append({"role": "user", "content": render(name, **{k: example[k] for k in values})})
        messages.append({"role": "assistant", "content": example["answer"]})
    messages.append({"role": "user", "content": render(name, **values)})
    return messages


@cache
def _examples(name: str) -> list[dict]:
    """Worked examples: the small models follow a shown answer far better than a described one."""
    path = PROMPTS_DIR / f"{name}_examples.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise AssistantError(f"prompt examples {path} are missing or invalid: {error}") from error
