"""The rules of the emulated backend: plain Python, no HTTP."""
