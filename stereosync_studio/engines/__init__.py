"""Generators: each turns a GenerationRequest into a stereo Take (see base.py)."""

from .base import Engine, GenerationRequest, Take, get_engine, list_engines, register_engine

__all__ = ["Engine", "GenerationRequest", "Take", "get_engine", "list_engines", "register_engine"]
