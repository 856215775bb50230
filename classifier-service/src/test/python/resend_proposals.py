"""An agent on a non-Java Kafka client resending proposals: librdkafka (Debian's
python3-confluent-kafka) with its default partitioner (consistent_random: CRC32 of the key, not
Java's murmur2).

Reads RECORDS_FILE, a JSON list of records as a Java agent first sent them ({"key": text, "value":
base64 of the Confluent-Avro bytes, "headers": [[name, base64], ...]}, the hitl.auth header among
them), writes each again to TOPIC byte for byte, and prints one JSON line per record delivered: its
key and the partition the client chose.

usage: resend_proposals.py BOOTSTRAP TOPIC RECORDS_FILE
"""
import base64
import json
import sys

from confluent_kafka import Producer


def main(bootstrap, topic, records_file):
    with open(records_file, encoding="utf-8") as f:
        records = json.load(f)
    # No "partitioner" setting: librdkafka's default, as an agent would have it.
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    delivered = []

    def on_delivery(error, message):
        if error is None:
            delivered.append({"key": message.key().decode("utf-8"), "partition": message.partition()})
        else:
            print("record not delivered: %s" % error, file=sys.stderr)

    for record in records:
        producer.produce(topic,
                         key=record["key"].encode("utf-8"),
                         value=base64.b64decode(record["value"]),
                         headers=[(name, base64.b64decode(value)) for name, value in record["headers"]],
                         on_delivery=on_delivery)
    if producer.flush(30) != 0 or len(delivered) != len(records):
        print("not every record was delivered", file=sys.stderr)
        return 3
    for line in delivered:
        print(json.dumps(line, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
