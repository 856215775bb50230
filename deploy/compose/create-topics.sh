#!/bin/sh
# Generated from the topic catalogue by dev.hitl.deploy.manifests.TopicManifests: do not edit.
# Creates hitl's topics (idempotent) on the compose cluster; run by the topics service.
set -e
BOOTSTRAP="${BOOTSTRAP:-kafka-1:9092}"
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.actions.proposed --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=604800000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.actions.auto-approved --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=604800000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.approvals.pending --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=604800000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.approvals.requests --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=604800000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.approvals.votes --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=604800000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.approvals.ignored-votes --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.decisions --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.agents.control --partitions 6 --replication-factor 3 --config cleanup.policy=compact --config min.compaction.lag.ms=60000 --config min.insync.replicas=2
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.agents.registry --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.compaction.lag.ms=60000 --config min.insync.replicas=2
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.voters.registry --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.compaction.lag.ms=60000 --config min.insync.replicas=2
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.policy --partitions 1 --replication-factor 3 --config cleanup.policy=compact --config min.compaction.lag.ms=60000 --config min.insync.replicas=2
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.trust --partitions 6 --replication-factor 3 --config cleanup.policy=compact --config min.compaction.lag.ms=60000 --config min.insync.replicas=2
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.audit.log --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.bytes=-1 --config retention.ms=-1
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic hitl.dlq --partitions 6 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2 --config retention.ms=2592000000
