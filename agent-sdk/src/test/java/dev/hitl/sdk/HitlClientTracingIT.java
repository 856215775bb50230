package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SDK's traces on the real broker: the proposal record carries its span; the decision's span links back. */
@HitlKafka
class HitlClientTracingIT {

    private static final String ARGS = "{\"to\":\"ann@example.org\"}";
    private static final byte[] MASTER_SECRET =
            "the HitlClientTracingIT master secret".getBytes(StandardCharsets.UTF_8);

    private final KafkaCluster cluster;
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();

    HitlClientTracingIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void close() {
        sdk.close();
    }

    @Test
    void shouldCarryTheProposeSpanInTheRecordAndLinkTheDecisionsSpanToIt() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        final AgentCredentials.Credential credential = AgentCredentials.derive(MASTER_SECRET, "agent-t", "c1");
        try (HitlClient client = HitlClient.builder()
                .agentId("agent-t")
                .credential(credential)
                .kafka(Map.of("bootstrap.servers", cluster.bootstrapServers()))
                .schemaRegistryUrl(cluster.schemaRegistryUrl())
                .namespace(namespace)
                .decisionKeys(DevelopmentKeys.publicKeys())
                .openTelemetry(sdk)
                .build()) {
            assertThat(client.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            final ProposedAction action = Proposals.action("email.send", "gmail", ARGS)
                    .actionId("t-1")
                    .onBehalfOf("alice@example.com")
                    .inputTrust(InputTrust.USER)
                    .build();

            // The agent's own span for the tool call: the proposal's span is its child.
            final Span toolCall =
                    sdk.getTracer("agent").spanBuilder("tool call").startSpan();
            final CompletableFuture<AgentDecision> answer;
            try (Scope ignored = toolCall.makeCurrent()) {
                answer = client.propose(action);
            }
            toolCall.end();

            final ConsumerRecord<String, ProposedAction> record = readProposal(topics);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> named(HopSpans.PROPOSE).isPresent());
            final SpanData propose = named(HopSpans.PROPOSE).orElseThrow();
            assertThat(propose.getKind()).isEqualTo(SpanKind.PRODUCER);
            assertThat(propose.getTraceId()).isEqualTo(toolCall.getSpanContext().getTraceId());
            assertThat(propose.getParentSpanId())
                    .isEqualTo(toolCall.getSpanContext().getSpanId());
            assertThat(propose.getAttributes().get(HitlAttributes.GEN_AI_OPERATION_NAME))
                    .isEqualTo("execute_tool");
            assertThat(propose.getAttributes().get(HitlAttributes.GEN_AI_TOOL_NAME))
                    .isEqualTo("gmail");
            assertThat(propose.getAttributes().get(HitlAttributes.GEN_AI_TOOL_CALL_ID))
                    .isEqualTo("t-1");
            assertThat(propose.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("t-1");
            assertThat(propose.getAttributes().get(HitlAttributes.AGENT_ID)).isEqualTo("agent-t");

            // The record on the broker carries exactly the propose span's context, once ...
            assertThat(record.headers().headers(TraceHeaders.TRACEPARENT)).hasSize(1);
            assertThat(new String(record.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
                    .isEqualTo("00-" + propose.getTraceId() + "-" + propose.getSpanId() + "-01");
            // ... and the agent's MAC still verifies: it covers the proposal's content, not the headers.
            final ProposedAction read = record.value();
            assertThat(AgentCredentials.presented(record.headers())
                            .orElseThrow()
                            .verifies(credential, AgentCredentials.proposalContent(read, ProposalHash.of(read), "c1")))
                    .isTrue();

            // The decision arrives, hours later in real life, in a trace of its own (the decider's span).
            final SpanContext decider = SpanContext.createFromRemoteParent(
                    "0af7651916cd43dd8448eb211c80319c",
                    "b7ad6b7169203331",
                    TraceFlags.getSampled(),
                    TraceState.getDefault());
            publish(topics, read, decider);
            final AgentDecision decision = answer.get(30, TimeUnit.SECONDS);
            assertThat(decision.outcome()).isEqualTo(Outcome.APPROVED);

            final SpanData received = named(HopSpans.DECISION_RECEIVED).orElseThrow();
            assertThat(received.getKind()).isEqualTo(SpanKind.CONSUMER);
            assertThat(received.getTraceId()).isEqualTo(decider.getTraceId());
            assertThat(received.getParentSpanId()).isEqualTo(decider.getSpanId());
            assertThat(received.getLinks()).singleElement().satisfies(link -> {
                assertThat(link.getSpanContext().getTraceId()).isEqualTo(propose.getTraceId());
                assertThat(link.getSpanContext().getSpanId()).isEqualTo(propose.getSpanId());
            });
            assertThat(received.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("APPROVED");
            assertThat(received.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("t-1");
        }
    }

    private Optional<SpanData> named(final String name) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .findFirst();
    }

    private void publish(final TopicCatalogue topics, final ProposedAction read, final SpanContext decider)
            throws Exception {
        final Decision decision = new DecisionSigner(DevelopmentKeys.privateKey())
                .sign(Decision.newBuilder()
                        .setActionId(read.getActionId())
                        .setAgentId(read.getAgentId())
                        .setActionType(read.getActionType())
                        .setTool(read.getTool())
                        .setTarget(read.getTarget())
                        .setProposalHash(ProposalHash.of(read))
                        .setOutcome(Outcome.APPROVED)
                        .setFinalArguments(read.getArguments())
                        .setArgumentsHash(CanonicalJson.sha256(read.getArguments()))
                        .setApprovers(List.of("bob@example.com"))
                        .setDecidedBy("reviewers:bob@example.com")
                        .setDecidedAt(Instant.now())
                        .setExpiresAt(Instant.now().plus(Duration.ofHours(1)))
                        .build());
        try (KafkaProducer<String, Decision> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            final ProducerRecord<String, Decision> out =
                    new ProducerRecord<>(topics.decisions().name(), decision.getAgentId(), decision);
            TraceHeaders.inject(decider, out.headers());
            producer.send(out).get();
        }
    }

    private ConsumerRecord<String, ProposedAction> readProposal(final TopicCatalogue topics) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, ProposedAction>> read = new ArrayList<>();
        try (KafkaConsumer<String, ProposedAction> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(
                        HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), ProposedAction.class))) {
            consumer.subscribe(List.of(topics.actionsProposed().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                return !read.isEmpty();
            });
        }
        return read.get(0);
    }
}
