"""The browser chat over the Python API (`create_app`, `launch`)."""

from .page import create_app, launch

__all__ = ["create_app", "launch"]
