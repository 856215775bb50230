package dev.hitl.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
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
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The classification hop's traces on the real broker and registry, with the service's own SDK
 * configured by the standard OTEL_* settings (system properties here) and an in-memory exporter: the
 * classify span is the child of the proposal's {@code traceparent}, the decide span its child, and
 * the decision, auto-approved and pending records (read with read_committed) carry their hop's
 * context in place of the agent's.
 */
@HitlKafka
class ClassifierTracingIT {

    private static final String AGENT = "traced-agent-1";
    private static final Map<String, String> OTEL =
            Map.of("otel.traces.exporter", MemorySpanExporterProvider.NAME, "otel.bsp.schedule.delay", "50");
    private static final SpanContext AGENT_SPAN = SpanContext.createFromRemoteParent(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    @BeforeAll
    static void traceOn() {
        OTEL.forEach(System::setProperty);
    }

    @AfterAll
    static void traceOff() {
        OTEL.keySet().forEach(System::clearProperty);
    }

    @Test
    void shouldMakeTheClassifySpanTheChildOfTheProposalAndCarryItOnTheRecordsWritten(final KafkaCluster cluster)
            throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        final HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl());
        try (EmbeddedServer server = ApplicationContext.run(
                        EmbeddedServer.class,
                        cluster.serviceConfig(
                                namespace, 3, Map.of("kafka.streams.default.state.dir", "target/state/" + namespace)));
                HttpClient http = HttpClient.create(server.getURL());
                KafkaProducer<String, Object> producer = new KafkaProducer<>(
                        producerConfig(cluster), new StringSerializer(), new AvroSerializer<>(registry, false));
                KafkaConsumer<String, Decision> decisions =
                        consumer(cluster, AvroDeserializer.specific(registry, Decision.class));
                KafkaConsumer<String, ClassifiedAction> autoApproved =
                        consumer(cluster, AvroDeserializer.specific(registry, ClassifiedAction.class));
                KafkaConsumer<String, ClassifiedAction> pending =
                        consumer(cluster, AvroDeserializer.specific(registry, ClassifiedAction.class))) {
            final AgentCredentials.Credential credential = TestAgents.register(http, AGENT);

            // given: an agent's traced proposals, one the policy auto-approves, one for people, and
            // an untraced one
            send(producer, topics, action("tr-auto", "file.write", "{\"path\": \"notes/a.txt\"}"), credential, true);
            send(
                    producer,
                    topics,
                    action("tr-people", "email.send", "{\"to\": \"customer@gmail.com\", \"body\": \"Hello\"}"),
                    credential,
                    true);
            send(producer, topics, action("tr-new", "file.write", "{\"path\": \"notes/b.txt\"}"), credential, false);
            producer.flush();

            // then: each record written carries exactly one traceparent, its hop's
            final Map<String, ConsumerRecord<String, Decision>> decided = new HashMap<>();
            final Map<String, ConsumerRecord<String, ClassifiedAction>> approved = new HashMap<>();
            final Map<String, ConsumerRecord<String, ClassifiedAction>> asked = new HashMap<>();
            assign(decisions, topics.decisions().name());
            assign(autoApproved, topics.actionsAutoApproved().name());
            assign(pending, topics.approvalsPending().name());
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                decisions
                        .poll(Duration.ofMillis(200))
                        .forEach(r -> decided.put(r.value().getActionId(), r));
                autoApproved
                        .poll(Duration.ofMillis(200))
                        .forEach(r -> approved.put(r.value().getAction().getActionId(), r));
                pending.poll(Duration.ofMillis(200))
                        .forEach(r -> asked.put(r.value().getAction().getActionId(), r));
                return decided.size() >= 2 && approved.size() >= 2 && !asked.isEmpty();
            });
            assertThat(decided.get("tr-auto").value().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
            assertThat(decided).doesNotContainKey("tr-people");

            final SpanData classify = span(HopSpans.CLASSIFY, "tr-auto");
            final SpanData decide = span(HopSpans.DECIDE, "tr-auto");
            assertThat(classify.getTraceId()).isEqualTo(AGENT_SPAN.getTraceId());
            assertThat(classify.getParentSpanId()).isEqualTo(AGENT_SPAN.getSpanId());
            assertThat(classify.getAttributes().get(HitlAttributes.AGENT_ID)).isEqualTo(AGENT);
            assertThat(classify.getAttributes().get(HitlAttributes.GEN_AI_TOOL_NAME))
                    .isEqualTo("fs");
            assertThat(classify.getAttributes().get(HitlAttributes.RISK_CLASS)).isNotBlank();
            assertThat(classify.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("AUTO_APPROVED");
            assertThat(decide.getParentSpanId()).isEqualTo(classify.getSpanId());
            assertThat(carried(decided.get("tr-auto").headers()).getSpanId()).isEqualTo(decide.getSpanId());
            assertThat(carried(approved.get("tr-auto").headers()).getSpanId()).isEqualTo(classify.getSpanId());

            // the pending record carries the classify span through the rejection memory's repartition
            final SpanData toPeople = span(HopSpans.CLASSIFY, "tr-people");
            assertThat(toPeople.getParentSpanId()).isEqualTo(AGENT_SPAN.getSpanId());
            assertThat(toPeople.getAttributes().get(HitlAttributes.OUTCOME)).isNull();
            final SpanContext onPending = carried(asked.get("tr-people").headers());
            assertThat(onPending.getTraceId()).isEqualTo(AGENT_SPAN.getTraceId());
            assertThat(onPending.getSpanId()).isEqualTo(toPeople.getSpanId());

            // a proposal without a trace context: a new trace, still one header per record
            final SpanData fresh = span(HopSpans.CLASSIFY, "tr-new");
            assertThat(fresh.getParentSpanContext().isValid()).isFalse();
            assertThat(fresh.getTraceId()).isNotEqualTo(AGENT_SPAN.getTraceId());
            assertThat(carried(decided.get("tr-new").headers()).getTraceId()).isEqualTo(fresh.getTraceId());
            assertThat(carried(approved.get("tr-new").headers()).getSpanId()).isEqualTo(fresh.getSpanId());
        }
    }

    private static SpanData span(final String name, final String actionId) {
        return await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> MemorySpanExporterProvider.latest().getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals(name))
                                .filter(s -> actionId.equals(s.getAttributes().get(HitlAttributes.ACTION_ID)))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    private static SpanContext carried(final Headers headers) {
        assertThat(headers.headers(TraceHeaders.TRACEPARENT)).hasSize(1);
        return TraceHeaders.spanContext(headers);
    }

    private static ProposedAction action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("fs")
                .setTarget("target-" + id)
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void send(
            final KafkaProducer<String, Object> producer,
            final TopicCatalogue topics,
            final ProposedAction action,
            final AgentCredentials.Credential credential,
            final boolean traced)
            throws Exception {
        final ProducerRecord<String, ProposedAction> record =
                TestAgents.proposal(topics.actionsProposed().name(), action, credential);
        if (traced) {
            TraceHeaders.inject(AGENT_SPAN, record.headers());
        }
        producer.send((ProducerRecord) record).get();
    }

    private static Map<String, Object> producerConfig(final KafkaCluster cluster) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return config;
    }

    private static <V> KafkaConsumer<String, V> consumer(final KafkaCluster cluster, final Deserializer<V> values) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(config, new StringDeserializer(), values);
    }

    private static void assign(final KafkaConsumer<?, ?> consumer, final String topic) {
        final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }
}
