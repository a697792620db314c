"""What the object store costs in requests: a photo is stored in one PUT whatever its size (up
to the largest photo accepted), and read back in one GET, counted at the S3 server's door
through the client's own request trace."""

from __future__ import annotations

import io
import uuid

from aduan.infra.config import Settings
from aduan.infra.storage import ObjectStore


class Requests(io.StringIO):
    """The request lines of the client's trace."""

    def lines(self) -> list[str]:
        return [line.split(" ", 1)[0] + " " + line.split(" ", 2)[1].split("?")[0]
                for line in self.getvalue().splitlines()
                if line.startswith(("GET ", "PUT ", "POST ", "HEAD ", "DELETE "))]


def test_the_largest_photo_accepted_is_stored_in_one_put_and_read_in_one_get(
        settings: Settings) -> None:
    store = ObjectStore(settings)
    data = uuid.uuid4().bytes * (settings.max_photo_bytes // 16)  # 10 MiB: past 5 MiB parts
    key = f"test/{uuid.uuid4().hex}.jpg"
    trace = Requests()
    store._client.trace_on(trace)  # the client's own trace counts its requests
    try:
        store.put(store.raw_bucket, key, data, "image/jpeg")
        assert store.get(store.raw_bucket, key) == data
    finally:
        store._client.trace_off()
        store.delete(store.raw_bucket, key)
    path = f"/{store.raw_bucket}/{key}"
    assert trace.lines() == [f"PUT {path}", f"GET {path}"]
