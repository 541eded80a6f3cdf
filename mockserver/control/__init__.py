"""The control plane under ``/__mock``: test controls beside the emulated API, never part of it."""
