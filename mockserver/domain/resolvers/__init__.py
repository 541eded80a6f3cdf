"""Computed config values. Importing this package registers every resolver."""

from . import include_lists, naming, network, urls  # noqa: F401  (registration side effect)
from .base import RESOLVERS, ResolverContext, resolver

__all__ = ["RESOLVERS", "ResolverContext", "resolver"]
