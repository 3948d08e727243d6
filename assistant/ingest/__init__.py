"""Turning files into articles, and articles into chunks."""

from .chunking import chunk_text
from .loaders import find_files, load_file

__all__ = ["chunk_text", "find_files", "load_file"]
