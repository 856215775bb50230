"""Interop check with a non-Java Confluent client (librdkafka + the Confluent Python Avro serializer).

Reads one record from TOPIC_IN written by hitl's Java serde, prints it as JSON, then writes one
ProposedAction to TOPIC_OUT through the registry for the Java serde to read.

usage: confluent_interop.py BOOTSTRAP REGISTRY_URL TOPIC_IN TOPIC_OUT SCHEMA_FILE
"""
import datetime
import decimal
import json
import sys
import time

import avro.schema
from confluent_kafka import Consumer, Producer
from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def main(bootstrap, registry_url, topic_in, topic_out, schema_file):
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry_url}))

    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": topic_in + "-python",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    consumer.subscribe([topic_in])
    deadline = time.time() + 60
    read = None
    while read is None and time.time() < deadline:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        read = {"key": message.key().decode("utf-8"), "value": serializer.decode_message(message.value())}
    consumer.close()
    if read is None:
        print("no record arrived on " + topic_in, file=sys.stderr)
        return 2
    print(json.dumps({"read": read}, default=str, sort_keys=True))

    schema = avro.schema.parse(open(schema_file, encoding="utf-8").read())
    record = {
        "actionId": "a-python",
        "agentId": "python-agent",
        "onBehalfOf": "dora@example.com",
        "sessionId": None,
        "actionType": "email.send",
        "tool": "smtp",
        "target": "customer@example.org",
        "arguments": json.dumps({"to": "customer@example.org", "subject": "Ihre Rechnung \u00fcber 99 \u20ac"},
                                ensure_ascii=False),
        # Python's avro writes a Decimal's own digits without rescaling: give it the schema's scale (9).
        "estimatedCost": {"amount": decimal.Decimal("0.01").quantize(decimal.Decimal("1e-9")), "currency": "USD"},
        "confidence": 0.93,
        "systemsAffected": ["smtp"],
        "inputTrust": "TOOL_OUTPUT",
        "domain": "support",
        "instructionConflict": None,
        "batchId": "batch-py",
        "batchSize": 50,
        "context": {
            "userRequest": "Answer the customer",
            "stepsSoFar": ["read ticket 7"],
            "rationale": "The customer asked about the invoice",
            "alternatives": [],
            "expectedOutcome": "The customer gets an answer",
            "risks": [],
        },
        "proposedAt": datetime.datetime(2026, 11, 28, 9, 30, 0, 250000, tzinfo=datetime.timezone.utc),
        "replyBy": None,
    }
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    producer.produce(topic_out, key=b"a-python",
                     value=serializer.encode_record_with_schema(topic_out, schema, record))
    if producer.flush(30) != 0:
        print("the record to " + topic_out + " was not delivered", file=sys.stderr)
        return 3
    print(json.dumps({"wrote": "a-python"}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
