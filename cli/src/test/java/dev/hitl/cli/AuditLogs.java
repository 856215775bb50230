package dev.hitl.cli;

import dev.hitl.audit.chain.AuditHashing;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * An audit log written as the audit service writes it: each partition a hash chain of records
 * (built with the service's own {@link AuditHashing}, as its chain tests build them), here the
 * PROPOSED records of payments an agent proposed, each payload the canonical JSON of the proposal.
 */
final class AuditLogs {

    static final int PARTITIONS = 2;

    private AuditLogs() {}

    /**
     * @param partition the partition
     * @param count how many records
     * @param at the first record's time (one second apart)
     * @return a correct chain
     */
    static List<AuditRecord> chain(final int partition, final int count, final Instant at) {
        final List<AuditRecord> records = new ArrayList<>();
        String previous = AuditHashing.GENESIS;
        for (int i = 0; i < count; i++) {
            final String actionId = "p" + partition + "-a" + i;
            final Instant when = at.plusSeconds(i);
            final AuditRecord record = AuditRecord.newBuilder()
                    .setPartition(partition)
                    .setSequence(i)
                    .setHashVersion(AuditHashing.HASH_VERSION)
                    .setEventType("PROPOSED")
                    .setActionId(actionId)
                    .setAgentId("billing-agent-7")
                    .setActor("billing-agent-7")
                    .setOccurredAt(when)
                    .setPolicyVersion(null)
                    .setSource("hitl.actions.proposed/" + partition + "/" + i)
                    .setPayload(CanonicalJson.canonicalize(AvroJson.toJson(proposal(actionId, when))))
                    .setPrevHash(previous)
                    .setHash("")
                    .build();
            record.setHash(AuditHashing.hash(record));
            previous = record.getHash();
            records.add(record);
        }
        return records;
    }

    private static ProposedAction proposal(final String actionId, final Instant at) {
        return ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId("billing-agent-7")
                .setOnBehalfOf("alice@example.com")
                .setActionType("payment.create")
                .setTool("payments")
                .setTarget("invoice/" + actionId)
                .setArguments("{\"amount\":\"12.50\",\"to\":\"ACME\"}")
                .setEstimatedCost(new Money(new BigDecimal("12.500000000"), "EUR"))
                .setConfidence(0.75)
                .setSystemsAffected(List.of("billing"))
                .setInputTrust(InputTrust.USER)
                .setDomain("finance")
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("pay the invoice")
                        .setRisks(List.of())
                        .build())
                .setProposedAt(at)
                .build();
    }

    /**
     * Creates the topic and writes the chains, each to its partition.
     *
     * @param clientConfig the cluster's client settings (with any SASL settings)
     * @param registryUrl the registry
     * @param topic the audit log topic
     * @param chains the chain of each partition
     */
    static void write(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final String topic,
            final Map<Integer, List<AuditRecord>> chains)
            throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(clientConfig)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)))
                    .all()
                    .get();
        }
        append(clientConfig, registryUrl, topic, chains);
    }

    /**
     * @param clientConfig the cluster's client settings
     * @param registryUrl the registry
     * @param topic the topic
     * @param records the records to append, by partition
     * @return the offset of the last record appended
     */
    static long append(
            final Map<String, Object> clientConfig,
            final String registryUrl,
            final String topic,
            final Map<Integer, List<AuditRecord>> records)
            throws ExecutionException, InterruptedException {
        final Map<String, Object> config = new HashMap<>(clientConfig);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        long last = -1;
        try (KafkaProducer<String, AuditRecord> producer = new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(registryUrl), false))) {
            for (final Map.Entry<Integer, List<AuditRecord>> chain : records.entrySet()) {
                for (final AuditRecord record : chain.getValue()) {
                    last = producer.send(new ProducerRecord<>(topic, chain.getKey(), record.getActionId(), record))
                            .get()
                            .offset();
                }
            }
        }
        return last;
    }
}
