"""Lending: lend donated devices and data SIMs to families in digital poverty."""

__version__ = "0.1.0"
