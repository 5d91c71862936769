"""The GraphQL schema: types in the modules beside this one, assembled here."""

from api.schema.root import schema

__all__ = ["schema"]
