"""Offline multilingual content pipeline with a translation memory."""

__version__ = "0.1.0"
GENERATOR = f"pipeline {__version__}"
SOURCE_LANG = "en"
TARGET_LANGS = ("kk", "ru", "ar")
