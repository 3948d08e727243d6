"""Errors a user can act on. Library code raises these; the CLI and the web app turn them into messages."""


class AssistantError(Exception):
    """Base of every error meant for the person using the assistant."""


class InputError(AssistantError):
    """A file, record or question that cannot be used as given."""


class IndexStoreError(AssistantError):
    """The index on disk is missing, incompatible or damaged."""


class ModelError(AssistantError):
    """A model is missing, corrupt or cannot be loaded."""


class MissingDependencyError(AssistantError):
    """An optional package is needed for this feature."""

    def __init__(self, what: str, install: str) -> None:
        super().__init__(f"{what} is not installed: {install}")
