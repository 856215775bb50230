package dev.hitl.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.audit.topology.AuditTopology;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import dev.hitl.testkit.MemorySpanExporterProvider;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.TraceHeaders;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The audit hop's spans on the real broker, with the service's own SDK configured by the standard
 * OTEL_* settings (system properties here) and the SDK's in-memory exporter: each audited record
 * makes one {@code hitl audit} span, the child of the source record's context (a new trace when it
 * carries none), with the action, the outcome and the risk class; the audit log's record carries the
 * audit span's context. With tracing off nothing is exported and the source's context passes through.
 */
@HitlKafka
class AuditTracingIT {

    private static final int PARTITIONS = 3;
    private static final Map<String, String> OTEL =
            Map.of("otel.traces.exporter", MemorySpanExporterProvider.NAME, "otel.bsp.schedule.delay", "50");

    private final KafkaCluster cluster;

    AuditTracingIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @Test
    void shouldMakeOneAuditSpanPerRecordAsTheChildOfTheSourceRecordsContext() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        final SpanContext agent = remote("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        final SpanContext classifier = remote("4bf92f3577b34da6a3ce929d0e0e4736", "10f067aa0ba902b8");
        final SpanContext decider = remote("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
        final ProposedAction traced = AuditFixtures.proposed("traced-1", "agent-1", at);
        final ProposedAction untraced = AuditFixtures.proposed("untraced-1", "agent-1", at);
        OTEL.forEach(System::setProperty);
        try (EmbeddedServer service = start(namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, AuditRecord> log = logConsumer(topics)) {
            send(producer, topics.actionsProposed().name(), "traced-1", traced, agent);
            send(
                    producer,
                    topics.approvalsPending().name(),
                    "traced-1",
                    AuditFixtures.classified(traced, RiskClass.IRREVERSIBLE),
                    classifier);
            send(
                    producer,
                    topics.decisions().name(),
                    "agent-1",
                    AuditFixtures.decision("traced-1", "agent-1", Outcome.REJECTED, at.plusSeconds(1)),
                    decider);
            send(producer, topics.actionsProposed().name(), "untraced-1", untraced, null);
            producer.flush();
            final Map<String, ConsumerRecord<String, AuditRecord>> audited = readLog(log, 4);

            // The proposal's audit span: the child of the agent's span, in its trace; the audit
            // record carries the audit span's own context.
            final SpanData proposed = span("traced-1", "PROPOSED");
            assertThat(proposed.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(proposed.getTraceId()).isEqualTo(agent.getTraceId());
            assertThat(proposed.getParentSpanId()).isEqualTo(agent.getSpanId());
            assertThat(proposed.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("traced-1");
            final SpanContext written =
                    TraceHeaders.spanContext(audited.get("traced-1/PROPOSED").headers());
            assertThat(written.getTraceId()).isEqualTo(agent.getTraceId());
            assertThat(written.getSpanId()).isEqualTo(proposed.getSpanId());
            assertThat(audited.get("traced-1/PROPOSED").headers().headers("traceparent"))
                    .hasSize(1);

            // The pending record's: the child of the classifier's span, with the risk class.
            final SpanData pending = span("traced-1", "PENDING");
            assertThat(pending.getParentSpanId()).isEqualTo(classifier.getSpanId());
            assertThat(pending.getAttributes().get(HitlAttributes.RISK_CLASS)).isEqualTo("IRREVERSIBLE");
            assertThat(pending.getAttributes().get(HitlAttributes.OUTCOME)).isNull();

            // The decision's: the child of the decider's span (another trace), with the outcome.
            final SpanData decided = span("traced-1", "DECIDED");
            assertThat(decided.getTraceId()).isEqualTo(decider.getTraceId());
            assertThat(decided.getParentSpanId()).isEqualTo(decider.getSpanId());
            assertThat(decided.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("REJECTED");

            // A source record without a context: the audit span starts a trace of its own.
            final SpanData root = span("untraced-1", "PROPOSED");
            assertThat(root.getParentSpanId()).isEqualTo(SpanId.getInvalid());
            assertThat(root.getTraceId()).isNotEqualTo(agent.getTraceId()).isNotEqualTo(decider.getTraceId());
            assertThat(TraceHeaders.spanContext(
                                    audited.get("untraced-1/PROPOSED").headers())
                            .getSpanId())
                    .isEqualTo(root.getSpanId());

            // One span per audited record, none for anything else.
            assertThat(MemorySpanExporterProvider.latest().getFinishedSpanItems())
                    .filteredOn(s -> s.getName().equals(HopSpans.AUDIT))
                    .hasSize(4);
        } finally {
            OTEL.keySet().forEach(System::clearProperty);
        }
    }

    @Test
    void shouldExportNothingAndPassTheSourceContextOnWhenTracingIsOff() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, PARTITIONS);
        final Instant at = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        final SpanContext agent = remote("5bf92f3577b34da6a3ce929d0e0e4737", "20f067aa0ba902b9");
        MemorySpanExporterProvider.forget();
        try (EmbeddedServer service = start(namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, AuditRecord> log = logConsumer(topics)) {
            send(
                    producer,
                    topics.actionsProposed().name(),
                    "off-1",
                    AuditFixtures.proposed("off-1", "agent-1", at),
                    agent);
            send(
                    producer,
                    topics.actionsProposed().name(),
                    "off-2",
                    AuditFixtures.proposed("off-2", "agent-1", at),
                    null);
            producer.flush();
            final Map<String, ConsumerRecord<String, AuditRecord>> audited = readLog(log, 2);

            final SpanContext passed =
                    TraceHeaders.spanContext(audited.get("off-1/PROPOSED").headers());
            assertThat(passed.getTraceId()).isEqualTo(agent.getTraceId());
            assertThat(passed.getSpanId()).isEqualTo(agent.getSpanId());
            assertThat(audited.get("off-2/PROPOSED").headers().lastHeader("traceparent"))
                    .isNull();
            assertThat(MemorySpanExporterProvider.latest()).isNull(); // no SDK was started
        }
    }

    private static SpanContext remote(final String traceId, final String spanId) {
        return SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault());
    }

    /** The audit span of one record (exported within a few batch delays of its append). */
    private static SpanData span(final String actionId, final String eventType) {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> MemorySpanExporterProvider.latest().getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals(HopSpans.AUDIT))
                                .filter(s -> actionId.equals(s.getAttributes().get(HitlAttributes.ACTION_ID)))
                                .filter(s -> eventType.equals(s.getAttributes().get(AuditTopology.EVENT_TYPE)))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    private EmbeddedServer start(final String namespace) {
        return ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace, PARTITIONS, Map.of("kafka.streams.default.state.dir", "target/state/" + namespace)));
    }

    private static void send(
            final KafkaProducer<String, SpecificRecord> producer,
            final String topic,
            final String key,
            final SpecificRecord value,
            final SpanContext trace) {
        final ProducerRecord<String, SpecificRecord> record = new ProducerRecord<>(topic, key, value);
        if (trace != null) {
            TraceHeaders.inject(trace, record.headers());
        }
        producer.send(record);
    }

    /** Reads the audit log until it holds {@code count} records, by {@code actionId/eventType}. */
    private static Map<String, ConsumerRecord<String, AuditRecord>> readLog(
            final KafkaConsumer<String, AuditRecord> log, final int count) {
        final Map<String, ConsumerRecord<String, AuditRecord>> audited = new HashMap<>();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            log.poll(Duration.ofMillis(200))
                    .forEach(r -> audited.put(
                            r.value().getActionId() + "/" + r.value().getEventType(), r));
            return audited.size() >= count;
        });
        assertThat(audited).hasSize(count);
        return audited;
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private KafkaConsumer<String, AuditRecord> logConsumer(final TopicCatalogue topics) {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "log-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final KafkaConsumer<String, AuditRecord> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), AuditRecord.class));
        consumer.subscribe(List.of(topics.auditLog().name()));
        return consumer;
    }
}
