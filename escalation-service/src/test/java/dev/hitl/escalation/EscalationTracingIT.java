package dev.hitl.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.testkit.HitlKafka;
import dev.hitl.testkit.KafkaCluster;
import dev.hitl.testkit.MemorySpanExporterProvider;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.TraceHeaders;
import io.micronaut.context.ApplicationContext;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request and decision hops' traces on the real broker, with the service's own SDK configured by
 * the standard OTEL_* settings (system properties here) and an in-memory exporter: the request is
 * the child of the pending record's span, the decision the child of the vote's span and linked to
 * the request's, and a timeout's decision a new trace linked to the request.
 */
@HitlKafka
class EscalationTracingIT {

    private static final VoteSigner VOTER = new VoteSigner("reviewer-app", DecisionKeys.generate("reviewer-app-1"));
    private static final Map<String, String> OTEL =
            Map.of("otel.traces.exporter", MemorySpanExporterProvider.NAME, "otel.bsp.schedule.delay", "50");

    private final KafkaCluster cluster;
    private final PolicyEvaluator policy = new PolicyEvaluator(DefaultPolicy.load());

    EscalationTracingIT(final KafkaCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void traceOn() {
        OTEL.forEach(System::setProperty);
    }

    @AfterAll
    static void traceOff() {
        OTEL.keySet().forEach(System::clearProperty);
    }

    @Test
    void shouldNestEachHopUnderTheRecordThatCausedItAndLinkAcrossTheHumanWait() throws Exception {
        final String namespace = cluster.newNamespace();
        final TopicCatalogue topics = new TopicCatalogue(namespace, 3);
        registerVoter(topics);
        final SpanContext classifier = remote("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
        final SpanContext reviewer = remote("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
        final SpanContext classifierOfTimeout = remote("5bf92f3577b34da6a3ce929d0e0e4737", "10f067aa0ba902b8");
        try (ApplicationContext service = start(namespace);
                KafkaProducer<String, SpecificRecord> producer = producer();
                KafkaConsumer<String, ApprovalRequest> requests = consumer(ApprovalRequest.class);
                KafkaConsumer<String, Decision> decisions = consumer(Decision.class)) {
            final ProposedAction voted = action("traced-vote", Instant.now().plusSeconds(120));
            final ProposedAction timedOut =
                    action("traced-timeout", Instant.now().plusSeconds(3));
            send(producer, topics.approvalsPending().name(), voted.getActionId(), classified(voted), classifier);
            send(
                    producer,
                    topics.approvalsPending().name(),
                    timedOut.getActionId(),
                    classified(timedOut),
                    classifierOfTimeout);
            producer.flush();

            requests.subscribe(List.of(topics.approvalsRequests().name()));
            final Map<String, ConsumerRecord<String, ApprovalRequest>> opened = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                requests.poll(Duration.ofMillis(200)).forEach(r -> opened.put(r.key(), r));
                return opened.size() >= 2;
            });

            // The request: the child of the pending record's span, in its trace, carried in the record.
            final SpanContext request =
                    TraceHeaders.spanContext(opened.get("traced-vote").headers());
            assertThat(request.getTraceId()).isEqualTo(classifier.getTraceId());
            assertThat(opened.get("traced-vote").headers().headers("traceparent"))
                    .hasSize(1);
            final SpanData requestSpan = await().atMost(Duration.ofSeconds(10))
                    .until(() -> span(HopSpans.REQUEST, "traced-vote"), Optional::isPresent)
                    .orElseThrow();
            assertThat(requestSpan.getSpanId()).isEqualTo(request.getSpanId());
            assertThat(requestSpan.getParentSpanId()).isEqualTo(classifier.getSpanId());
            assertThat(requestSpan.getAttributes().get(HitlAttributes.ACTION_ID))
                    .isEqualTo("traced-vote");
            assertThat(requestSpan.getAttributes().get(HitlAttributes.RISK_CLASS))
                    .isNotBlank();
            assertThat(requestSpan.getAttributes().get(HitlAttributes.TIER))
                    .isEqualTo(opened.get("traced-vote").value().getRoute().getTier());

            // A reviewer votes in a trace of its own (hours later, in real life).
            final ApprovalRequest asked = opened.get("traced-vote").value();
            send(producer, topics.approvalsVotes().name(), voted.getActionId(), vote(asked), reviewer);
            producer.flush();

            decisions.subscribe(List.of(topics.decisions().name()));
            final Map<String, ConsumerRecord<String, Decision>> decided = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                decisions
                        .poll(Duration.ofMillis(200))
                        .forEach(r -> decided.put(r.value().getActionId(), r));
                return decided.size() >= 2;
            });
            assertThat(decided.get("traced-vote").value().getOutcome()).isEqualTo(Outcome.APPROVED);
            assertThat(decided.get("traced-timeout").value().getOutcome()).isEqualTo(Outcome.TIMED_OUT);

            // The vote's decision: the child of the vote's span, linked (not nested) to the request's.
            final SpanContext decision =
                    TraceHeaders.spanContext(decided.get("traced-vote").headers());
            final SpanData decideSpan = await().atMost(Duration.ofSeconds(10))
                    .until(() -> span(HopSpans.DECIDE, "traced-vote"), Optional::isPresent)
                    .orElseThrow();
            assertThat(decideSpan.getSpanId()).isEqualTo(decision.getSpanId());
            assertThat(decideSpan.getTraceId()).isEqualTo(reviewer.getTraceId());
            assertThat(decideSpan.getParentSpanId()).isEqualTo(reviewer.getSpanId());
            assertThat(decideSpan.getLinks())
                    .extracting(LinkData::getSpanContext)
                    .extracting(SpanContext::getTraceId, SpanContext::getSpanId)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(request.getTraceId(), request.getSpanId()));
            assertThat(decideSpan.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("APPROVED");

            // The timeout's decision: a new trace (no parent), linked to its request's span.
            final SpanContext timeoutRequest =
                    TraceHeaders.spanContext(opened.get("traced-timeout").headers());
            final SpanData timeoutSpan = await().atMost(Duration.ofSeconds(10))
                    .until(() -> span(HopSpans.DECIDE, "traced-timeout"), Optional::isPresent)
                    .orElseThrow();
            assertThat(timeoutSpan.getParentSpanId()).isEqualTo(SpanId.getInvalid());
            assertThat(timeoutSpan.getTraceId())
                    .isNotEqualTo(classifierOfTimeout.getTraceId())
                    .isEqualTo(TraceHeaders.spanContext(
                                    decided.get("traced-timeout").headers())
                            .getTraceId());
            assertThat(timeoutSpan.getLinks())
                    .extracting(LinkData::getSpanContext)
                    .extracting(SpanContext::getSpanId)
                    .containsExactly(timeoutRequest.getSpanId());
            assertThat(timeoutSpan.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("TIMED_OUT");
        }
    }

    private static SpanContext remote(final String traceId, final String spanId) {
        return SpanContext.createFromRemoteParent(traceId, spanId, TraceFlags.getSampled(), TraceState.getDefault());
    }

    private static Optional<SpanData> span(final String name, final String actionId) {
        return MemorySpanExporterProvider.latest().getFinishedSpanItems().stream()
                .filter(s -> s.getName().equals(name))
                .filter(s -> actionId.equals(s.getAttributes().get(HitlAttributes.ACTION_ID)))
                .findFirst();
    }

    private static void send(
            final KafkaProducer<String, SpecificRecord> producer,
            final String topic,
            final String key,
            final SpecificRecord value,
            final SpanContext trace) {
        final ProducerRecord<String, SpecificRecord> record = new ProducerRecord<>(topic, key, value);
        TraceHeaders.inject(trace, record.headers());
        producer.send(record);
    }

    private static Vote vote(final ApprovalRequest request) {
        return VOTER.sign(Vote.newBuilder()
                .setVoteId(UUID.randomUUID().toString())
                .setActionId(request.getAction().getActionId())
                .setApprover("bob@example.com")
                .setGroups(List.of(request.getRoute().getApproverGroup()))
                .setVerdict(Verdict.APPROVE)
                .setVotedAt(Instant.now())
                .setRequestId(request.getRequestId())
                .setRequestVersion(request.getEscalationLevel())
                .setActionVersion(request.getActionVersion())
                .setArgumentsHash(request.getArgumentsHash())
                .build());
    }

    private ApplicationContext start(final String namespace) {
        return ApplicationContext.run(cluster.serviceConfig(
                namespace,
                3,
                Map.of(
                        "hitl.escalation.deadline-check-every",
                        "PT0.2S",
                        "kafka.streams.default.state.dir",
                        "target/state/" + namespace)));
    }

    private void registerVoter(final TopicCatalogue topics) throws Exception {
        try (Admin admin = cluster.admin()) {
            new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        }
        try (KafkaProducer<String, SpecificRecord> producer = producer()) {
            producer.send(new ProducerRecord<>(
                            topics.votersRegistry().name(),
                            VOTER.voterId(),
                            VoterRegistration.newBuilder()
                                    .setVoterId(VOTER.voterId())
                                    .setPublicKeys(List.of(VOTER.voterKey()))
                                    .setAllowedGroups(List.of("*"))
                                    .setAllowedReviewers(List.of("*"))
                                    .setChangedBy("ops")
                                    .setChangedAt(Instant.now())
                                    .build()))
                    .get();
        }
    }

    private ProposedAction action(final String id, final Instant replyBy) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("support-agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("email.send")
                .setTool("smtp")
                .setArguments("{\"to\":\"customer@gmail.com\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setDomain("support")
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .setReplyBy(replyBy)
                .build();
    }

    private ClassifiedAction classified(final ProposedAction action) {
        return new ClassifiedAction(
                action, policy.evaluate(action, Optional.empty()).toAssessment(Instant.now()));
    }

    private KafkaProducer<String, SpecificRecord> producer() {
        final Map<String, Object> config = cluster.clientConfig();
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), false));
    }

    private <V extends SpecificRecord> KafkaConsumer<String, V> consumer(final Class<V> type) {
        final Map<String, Object> config = new HashMap<>(cluster.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        final Deserializer<V> values =
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(cluster.schemaRegistryUrl()), type);
        return new KafkaConsumer<>(config, new StringDeserializer(), values);
    }
}
