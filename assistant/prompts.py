"""Prompt templates, read from prompts/*.txt and rendered strictly (a missing variable fails)."""

from __future__ import annotations

import string
from functools import lru_cache

from llama_index.core import PromptTemplate

from .config import PROMPTS_DIR
from .errors import AssistantError


@lru_cache(maxsize=None)
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
