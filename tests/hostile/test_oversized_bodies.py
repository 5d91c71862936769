"""An over-limit body gets its 413 even from a client that writes the whole body before it
reads (Python's urllib): the server reads and discards the rest first. Against a live
uvicorn, over real sockets."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.reliability.processes import free_port

MB = 1024 * 1024


@pytest.fixture
def live_api(db: Any) -> Iterator[str]:
    from api.app import create_app
    from shared.config import get_settings

    settings = get_settings()
    assert (settings.request_max_bytes, settings.upload_max_bytes) == (1 * MB, 64 * MB)
    app = create_app(start_embedded_worker=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.mark.parametrize("size", [5 * MB, 50 * MB], ids=["5MB", "50MB"])
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_urllib_receives_the_413(live_api: str, size: int, declared: bool) -> None:
    body = b'{"query": "' + b"x" * (size - 20) + b'"}'
    data: Any = body if declared else iter([body[i : i + MB] for i in range(0, len(body), MB)])
    request = urllib.request.Request(
        f"{live_api}/graphql",
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    if not declared:
        request.add_header("Transfer-Encoding", "chunked")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    assert refused.value.headers["Connection"] == "close"
    answer = json.loads(refused.value.read())
    assert answer["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE", "limit": MB}
