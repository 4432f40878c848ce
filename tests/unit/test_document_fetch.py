"""Downloading a provider document at a URL for its hash (infra/document_fetch.py): HTTPS
only, one 200 answer, no redirect followed, bounded in time and size."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from chalicelib.domain.errors import InvalidInput
from infra.document_fetch import TIMEOUT_S, document_sha256


class FakeResponse:
    def __init__(self, status: int = 200, chunks: tuple[bytes, ...] = (), **headers: str):
        self.status_code = status
        self.headers = headers
        self.chunks = chunks
        self.closed = False

    def iter_content(self, chunk_size: int) -> Any:
        yield from self.chunks

    def close(self) -> None:
        self.closed = True


class FakeGet:
    def __init__(self, response: FakeResponse | Exception) -> None:
        self.response = response
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, **kwargs: Any) -> FakeResponse:
        self.calls.append((url, kwargs))
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


def test_the_hash_is_of_the_bytes_downloaded_once_with_a_timeout_and_no_redirects():
    response = FakeResponse(chunks=(b"Villkor ", "för Demo TL".encode()))
    get = FakeGet(response)

    digest = document_sha256("https://demo-tl.example/villkor", get=get)

    assert digest == hashlib.sha256("Villkor för Demo TL".encode()).hexdigest()
    assert get.calls == [
        (
            "https://demo-tl.example/villkor",
            {"timeout": TIMEOUT_S, "stream": True, "allow_redirects": False},
        )
    ]
    assert response.closed


def test_only_https_urls_are_downloaded():
    get = FakeGet(FakeResponse())

    with pytest.raises(InvalidInput, match="must be https://"):
        document_sha256("http://demo-tl.example/villkor", get=get)
    assert get.calls == []


def test_a_redirect_is_not_followed_and_names_where_it_leads():
    response = FakeResponse(301, Location="http://demo-tl.example/villkor")

    with pytest.raises(InvalidInput, match=r"redirects to http://demo-tl\.example/villkor"):
        document_sha256("https://demo-tl.example/villkor", get=FakeGet(response))
    assert response.closed


def test_an_error_answer_is_refused():
    with pytest.raises(InvalidInput, match="answered HTTP 404"):
        document_sha256("https://demo-tl.example/villkor", get=FakeGet(FakeResponse(404)))


def test_a_document_over_the_size_cap_is_refused():
    response = FakeResponse(chunks=(b"x" * 600, b"x" * 600))

    with pytest.raises(InvalidInput, match="larger than 1000 bytes"):
        document_sha256("https://demo-tl.example/villkor", get=FakeGet(response), max_bytes=1000)
    assert response.closed


def test_a_connection_failure_is_reported_not_raised():
    get = FakeGet(requests.ConnectTimeout("timed out"))

    with pytest.raises(InvalidInput, match=r"could not download .*ConnectTimeout"):
        document_sha256("https://demo-tl.example/villkor", get=get)
