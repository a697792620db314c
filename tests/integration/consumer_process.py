"""A consumer process for the crash test: it records each call and its one effect in MongoDB,
and with CRASH_ON_FIRST_CALL set it dies (like kill -9) after the effect but before the ack."""

from __future__ import annotations

import os
from dataclasses import replace

from pymongo import ReturnDocument

from aduan.infra.config import Settings
from aduan.infra.db import get_db
from aduan.infra.messaging import Consumer, Delivery


def main() -> None:
    settings = replace(Settings.from_env(), namespace=os.environ["TEST_NAMESPACE"],
                       retry_delays_ms=(100, 200), max_attempts=3)
    db = get_db(settings)
    crash = os.environ.get("CRASH_ON_FIRST_CALL") == "1"

    def handler(delivery: Delivery) -> None:
        calls = db.consumer_calls.find_one_and_update(
            {"_id": delivery.message_id}, {"$inc": {"n": 1}}, upsert=True,
            return_document=ReturnDocument.AFTER)
        # The effect is keyed by the message id, so doing it twice stores it once.
        db.consumer_effects.update_one(
            {"_id": delivery.message_id}, {"$setOnInsert": {"body": delivery.body}}, upsert=True)
        if crash and calls["n"] == 1:
            os._exit(137)

    consumer = Consumer(settings, "verification", handler)
    consumer.install_signal_handlers()
    consumer.run()


if __name__ == "__main__":
    main()
