"""A reviewer app on a non-Java Confluent client: librdkafka (Debian's python3-confluent-kafka) with
its default partitioner (consistent_random: CRC32 of the key, not Java's murmur2) and the Confluent
Avro serializer on python3-avro.

Reads EXPECTED approval requests from REQUESTS_TOPIC (read_committed), approves each with one vote on
VOTES_TOPIC keyed by actionId, answering the request (requestId, stage, escalation level, action
version and argumentsHash), and prints one JSON line per vote delivered: its actionId and the
partition the client chose.

The app is a registered voter: it signs each vote with its own Ed25519 key (python3-cryptography),
over the RFC 8785 JSON of the signed members (schemas README, "Vote authentication"). For these
members (strings, integers, null, a list of strings) RFC 8785 is json.dumps with sorted keys, no
whitespace and no ASCII escaping.

usage: reviewer_app.py BOOTSTRAP REGISTRY_URL REQUESTS_TOPIC VOTES_TOPIC VOTE_SCHEMA_FILE EXPECTED APPROVER
                       VOTER_ID VOTER_PRIVATE_JWK_FILE
"""
import base64
import datetime
import json
import sys
import time
import uuid

import avro.schema
from confluent_kafka import Consumer, Producer
from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SIGNED = ["actionId", "actionVersion", "approver", "argumentsHash", "groups", "modifiedArguments", "reason",
          "requestId", "requestVersion", "signatureAlgorithm", "signatureKeyId", "stageIndex", "timeOnCardMillis",
          "verdict", "voteId", "votedAt", "voterId"]


def load_key(jwk_file):
    jwk = json.load(open(jwk_file, encoding="utf-8"))
    seed = base64.urlsafe_b64decode(jwk["d"] + "=" * (-len(jwk["d"]) % 4))
    return jwk["kid"], Ed25519PrivateKey.from_private_bytes(seed)


def sign(vote, voter_id, key_id, key, voted_at_millis):
    vote.update({"voterId": voter_id, "signatureKeyId": key_id, "signatureAlgorithm": "Ed25519"})
    members = {name: vote.get(name) for name in SIGNED}
    members["votedAt"] = voted_at_millis
    content = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    vote["signature"] = base64.b64encode(key.sign(content.encode("utf-8"))).decode("ascii")
    return vote


def read_requests(bootstrap, serializer, topic, expected):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": topic + "-reviewer-app-" + str(uuid.uuid4()),
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
    })
    consumer.subscribe([topic])
    requests = {}
    deadline = time.time() + 90
    try:
        while len(requests) < expected and time.time() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            request = serializer.decode_message(message.value())
            requests[request["requestId"]] = request
    finally:
        consumer.close()
    return list(requests.values())


def vote_for(request, approver, voted_at_millis):
    stage = request["route"]["stages"][request["stageIndex"]]
    # Whole milliseconds, as Avro's timestamp-millis keeps them and the signature covers them.
    voted_at = datetime.datetime.fromtimestamp(voted_at_millis // 1000, datetime.timezone.utc).replace(
        microsecond=(voted_at_millis % 1000) * 1000)
    return {
        "voteId": str(uuid.uuid4()),
        "actionId": request["action"]["actionId"],
        "approver": approver,
        "groups": [stage["group"]],
        "verdict": "APPROVE",
        "modifiedArguments": None,
        "reason": "Checked in the Python reviewer app",
        "votedAt": voted_at,
        "requestId": request["requestId"],
        "stageIndex": request["stageIndex"],
        "requestVersion": request["escalationLevel"],
        "actionVersion": request["actionVersion"],
        "argumentsHash": request["argumentsHash"],
        "timeOnCardMillis": None,
    }


def main(bootstrap, registry_url, requests_topic, votes_topic, schema_file, expected, approver, voter_id, jwk_file):
    key_id, key = load_key(jwk_file)
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry_url}))
    requests = read_requests(bootstrap, serializer, requests_topic, int(expected))
    if len(requests) < int(expected):
        print("only %d of %s requests arrived on %s" % (len(requests), expected, requests_topic), file=sys.stderr)
        return 2

    schema = avro.schema.parse(open(schema_file, encoding="utf-8").read())
    # No "partitioner" setting: librdkafka's default, as a reviewer app would have it.
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    delivered = []

    def on_delivery(error, message):
        if error is None:
            delivered.append({"actionId": message.key().decode("utf-8"), "partition": message.partition()})
        else:
            print("vote not delivered: %s" % error, file=sys.stderr)

    for request in requests:
        voted_at_millis = time.time_ns() // 1_000_000
        vote = sign(vote_for(request, approver, voted_at_millis), voter_id, key_id, key, voted_at_millis)
        producer.produce(votes_topic, key=vote["actionId"].encode("utf-8"),
                         value=serializer.encode_record_with_schema(votes_topic, schema, vote),
                         on_delivery=on_delivery)
    if producer.flush(30) != 0 or len(delivered) != len(requests):
        print("not every vote was delivered", file=sys.stderr)
        return 3
    for line in delivered:
        print(json.dumps(line, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:10]))
