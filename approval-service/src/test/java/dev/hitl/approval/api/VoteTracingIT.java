package dev.hitl.approval.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.DecisionKeys;
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
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.client.HttpClient;
import io.micronaut.runtime.server.EmbeddedServer;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The vote hop's trace on the real broker (tracing README): with the service's own SDK, configured
 * by the standard OTEL settings (system properties here) and an in-memory exporter, a vote over the
 * HTTP API is a {@code hitl vote} span in a new trace, linked to the trace context of the request
 * record it answers, and the vote record carries that span's context; with tracing off the vote
 * carries no trace context, whatever the request carried.
 */
@HitlKafka
class VoteTracingIT {

    private static final Map<String, String> OTEL =
            Map.of("otel.traces.exporter", MemorySpanExporterProvider.NAME, "otel.bsp.schedule.delay", "50");

    private static final SpanContext REQUEST_SPAN = SpanContext.createFromRemoteParent(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());
    private TopicCatalogue topics;

    VoteTracingIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @AfterEach
    void traceOff() {
        OTEL.keySet().forEach(System::clearProperty);
    }

    @Test
    void shouldTraceAVoteAsANewTraceLinkedToTheRequestAndCarryItsContextInTheVoteRecord() throws Exception {
        OTEL.forEach(System::setProperty);
        try (EmbeddedServer server = start();
                HttpClient http = HttpClient.create(server.getURL())) {
            open(action("traced-1"), REQUEST_SPAN);
            final ConsumerRecord<String, Vote> vote = approve(http, "traced-1");

            final SpanData span = await().atMost(Duration.ofSeconds(10))
                    .until(() -> span(HopSpans.VOTE, "traced-1"), Optional::isPresent)
                    .orElseThrow();
            assertThat(span.getKind()).isEqualTo(SpanKind.PRODUCER);
            // A new trace (a human's wait lies between the request and the vote), linked to the request.
            assertThat(span.getParentSpanContext().isValid()).isFalse();
            assertThat(span.getTraceId()).isNotEqualTo(REQUEST_SPAN.getTraceId());
            assertThat(span.getLinks())
                    .extracting(LinkData::getSpanContext)
                    .extracting(SpanContext::getTraceId, SpanContext::getSpanId)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple(REQUEST_SPAN.getTraceId(), REQUEST_SPAN.getSpanId()));
            assertThat(span.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("traced-1");
            assertThat(span.getAttributes().get(HitlAttributes.GEN_AI_TOOL_NAME))
                    .isEqualTo("gmail");
            // The vote record carries the vote span's context, once: the decision hop is its child.
            assertThat(vote.headers().headers(TraceHeaders.TRACEPARENT)).hasSize(1);
            final SpanContext carried = TraceHeaders.spanContext(vote.headers());
            assertThat(carried.getTraceId()).isEqualTo(span.getTraceId());
            assertThat(carried.getSpanId()).isEqualTo(span.getSpanId());
        }
    }

    @Test
    void shouldCarryNoTraceContextOnAVoteWithTracingOffEvenWhenTheRequestHadOne() throws Exception {
        try (EmbeddedServer server = start();
                HttpClient http = HttpClient.create(server.getURL())) {
            open(action("untraced-1"), REQUEST_SPAN);
            final ConsumerRecord<String, Vote> vote = approve(http, "untraced-1");

            assertThat(vote.value().getActionId()).isEqualTo("untraced-1");
            assertThat(vote.headers().lastHeader(TraceHeaders.TRACEPARENT)).isNull();
            assertThat(vote.headers().lastHeader(TraceHeaders.TRACESTATE)).isNull();
        }
    }

    private EmbeddedServer start() {
        final String namespace = cluster.newNamespace();
        topics = new TopicCatalogue(namespace, 3);
        return ApplicationContext.run(
                EmbeddedServer.class,
                cluster.serviceConfig(
                        namespace,
                        3,
                        Map.of(
                                "hitl.voter.id",
                                "approval-service-tracing-it",
                                "hitl.voter.key",
                                DecisionKeys.generate("approval-service-tracing-it-1")
                                        .toJwk())));
    }

    /** The reviewer approves over the API once the request is in the inbox; the vote record as written. */
    private ConsumerRecord<String, Vote> approve(final HttpClient http, final String actionId) {
        final Map<?, ?> login = http.toBlocking()
                .retrieve(
                        HttpRequest.POST("/login", Map.of("username", "reviewer", "password", "reviewer")), Map.class);
        final String token = (String) login.get("access_token");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> http.toBlocking()
                        .retrieve(HttpRequest.GET("/api/requests").bearerAuth(token))
                        .contains(actionId));
        final HttpResponse<Map> voted = http.toBlocking()
                .exchange(
                        HttpRequest.POST("/api/requests/" + actionId + "/votes", Map.of("verdict", "APPROVE"))
                                .bearerAuth(token),
                        Map.class);
        assertThat(voted.getStatus().getCode()).isEqualTo(202);
        return readVote(actionId);
    }

    private ProposedAction action(final String id) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("carol@example.com")
                .setActionType("email.send")
                .setTool("gmail")
                .setArguments("{\"to\":\"customer@gmail.com\",\"body\":\"Hello\"}")
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Answer the customer")
                        .build())
                .setProposedAt(Instant.now())
                .build();
    }

    /** Writes the request as the escalation service does, with its request span's context in the headers. */
    private void open(final ProposedAction action, final SpanContext trace) throws Exception {
        final ApprovalRequest request = ApprovalRequest.newBuilder()
                .setRequestId(action.getActionId() + ":0:0")
                .setAction(action)
                .setAssessment(policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard", "reviewers", List.of(new ApprovalStage("reviewers", 1)), ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
        final RecordHeaders headers = new RecordHeaders();
        TraceHeaders.inject(trace, headers);
        try (KafkaProducer<String, ApprovalRequest> producer = new KafkaProducer<>(
                cluster.clientConfig(),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false))) {
            producer.send(new ProducerRecord<>(
                            topics.approvalsRequests().name(), null, action.getActionId(), request, headers))
                    .get();
        }
    }

    private ConsumerRecord<String, Vote> readVote(final String actionId) {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "votes-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        final List<ConsumerRecord<String, Vote>> read = new ArrayList<>();
        try (KafkaConsumer<String, Vote> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), Vote.class))) {
            consumer.subscribe(List.of(topics.approvalsVotes().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                return read.stream().anyMatch(r -> actionId.equals(r.key()));
            });
        }
        return read.stream().filter(r -> actionId.equals(r.key())).findFirst().orElseThrow();
    }

    private static Optional<SpanData> span(final String name, final String actionId) {
        return MemorySpanExporterProvider.latest().getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .filter(s -> actionId.equals(s.getAttributes().get(HitlAttributes.ACTION_ID)))
                .findFirst();
    }
}
