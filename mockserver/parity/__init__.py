"""Parity: replay a recorded go-vcr cassette against any server and report where its answers drift.

Plain Python without a server: ``cassette`` reads the recording, ``compare``
normalises and diffs two answers, ``replay`` sends the requests (httpx) and
``report`` renders the outcome; ``streamkap-mock replay`` is the thin command.
"""
