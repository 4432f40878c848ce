"""Feeds SQS messages to the app's `on_sqs_message` handlers as Lambda's event source
mapping would: real message ids, batches up to the handler's batch size, and partial batch
failures honoured (only the messages the handler reports as failed come back)."""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from typing import Any

from chalice.app import Chalice, SQSEventConfig
from chalice.local import LambdaContext

logger = logging.getLogger("local.worker")


class SqsWorker:
    def __init__(self, app: Chalice, queue_urls: dict[str, str]) -> None:
        import boto3

        self._sqs = boto3.client("sqs")
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sources: list[tuple[SQSEventConfig, Any, str]] = []
        for source in app.event_sources:
            if isinstance(source, SQSEventConfig) and source.queue in queue_urls:
                # "module.function": blueprints register handlers from their own modules.
                module_name, _, function_name = source.handler_string.rpartition(".")
                handler = getattr(importlib.import_module(module_name or "app"), function_name)
                self._sources.append((source, handler, queue_urls[source.queue]))

    @property
    def queues(self) -> list[str]:
        return [source.queue or "" for source, _, _ in self._sources]

    def start(self) -> SqsWorker:
        for source, handler, url in self._sources:
            thread = threading.Thread(
                target=self._poll, args=(source, handler, url), name=f"worker-{source.queue}"
            )
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _poll(self, source: SQSEventConfig, handler: Any, url: str) -> None:
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        while not self._stop.is_set():
            try:
                received = self._sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(source.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("receiving from %s failed", source.queue)
                self._stop.wait(1)
                continue
            if received:
                self.deliver(source, handler, url, arn, received)

    def deliver(
        self,
        source: SQSEventConfig,
        handler: Any,
        url: str,
        arn: str,
        messages: list[dict[str, Any]],
    ) -> None:
        event = {"Records": [_record(message, arn) for message in messages]}
        context = LambdaContext(function_name=source.name, memory_size=256, max_runtime_ms=60_000)
        context.aws_request_id = str(uuid.uuid4())  # type: ignore[attr-defined]
        try:
            response = handler(event, context) or {}
        except Exception:
            # Lambda would fail the whole batch: every message returns after its timeout.
            logger.exception("handler for %s raised; the batch will be redelivered", source.queue)
            return
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )


def _record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": arn.split(":")[3] if arn.count(":") >= 3 else "eu-north-1",
    }
