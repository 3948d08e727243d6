"""The browser chat over the Python API (`create_app`, `launch`)."""

from .page import create_app, launch
from .pending import Pending

__all__ = ["Pending", "create_app", "launch"]
