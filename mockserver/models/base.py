"""The base of every pydantic model in the package."""

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A model whose validator is built the first time it is used, not at import.

    Most models are used by few requests, or only for the contract document:
    building all of them at import was a third of the server's start-up.
    """

    model_config = ConfigDict(defer_build=True)
