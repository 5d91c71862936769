"""The audit log: who changed what. ``writer`` adds entries in the caller's transaction (they
commit or roll back with the change); ``reader`` pages through them for administrators."""

from shared.audit.writer import SYSTEM, Actor, record

__all__ = ["SYSTEM", "Actor", "record"]
