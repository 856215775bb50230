package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerBuilder;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The classification hop of the traces, on the production topology under TopologyTestDriver with
 * the OpenTelemetry SDK's in-memory exporter: the {@code hitl classify} span is the child of the
 * proposal's {@code traceparent} (a new trace without one), each decision of the classifier has a
 * {@code hitl decide} span under it, and every record written carries its hop's context instead of
 * the agent's. With tracing off the agent's context goes on unchanged; a tracer that throws fails
 * no record.
 */
class ClassifierTracingTest {

    @TempDir
    java.nio.file.Path stateDir;

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final byte[] SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    private static final String AGENT = "support-agent-1";
    private static final String OUTSIDE_EMAIL =
            "{\"to\": \"customer@gmail.com\", \"body\": \"Your refund is on its way\"}";
    /** The agent's propose span, as the SDKs write it on the proposal. */
    private static final SpanContext AGENT_SPAN = SpanContext.createFromRemoteParent(
            "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(), TraceState.getDefault());

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private SdkTracerProvider provider;
    private TopologyTestDriver driver;
    private TestInputTopic<String, ProposedAction> proposals;
    private TestInputTopic<String, PolicyDocument> policy;
    private TestInputTopic<String, AgentControl> control;
    private TestInputTopic<String, Decision> decisionsIn;
    private TestOutputTopic<String, ClassifiedAction> autoApproved;
    private TestOutputTopic<String, ClassifiedAction> pending;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<String, SpotCheck> spotChecks;

    private void start(final OpenTelemetry openTelemetry) {
        final StreamsBuilder builder = new StreamsBuilder();
        ClassifierTopology.build(
                builder,
                new ClassifierTopology.Dependencies(
                        topics,
                        serdes,
                        new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                        new DecisionFactory(new DecisionSigner(DevelopmentKeys.privateKey())),
                        new ProposalValidator(64 * 1024),
                        new RiskModelGate(RiskModel.NONE, Duration.ofMillis(100), ClassifierMetrics.NONE),
                        Clock.fixed(NOW, ZoneOffset.UTC),
                        Duration.ofDays(7),
                        ClassifierMetrics.NONE,
                        new AgentAuthenticator(SECRET),
                        new DecisionVerifier(DevelopmentKeys.publicKeys()),
                        new HopTracer(openTelemetry)));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-tracing-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(), props, NOW);
        proposals = input(topics.actionsProposed());
        policy = input(topics.policy());
        control = input(topics.agentsControl());
        decisionsIn = input(topics.decisions());
        autoApproved = output(topics.actionsAutoApproved());
        pending = output(topics.approvalsPending());
        decisions = output(topics.decisions());
        spotChecks = output(topics.spotChecks());
        input(topics.agentsRegistry())
                .pipeInput(
                        AGENT,
                        AgentRegistration.newBuilder()
                                .setAgentId(AGENT)
                                .setCredentialIds(List.of("c1"))
                                .setOwners(List.of("owner@example.com"))
                                .setPermittedActionTypes(List.of("*"))
                                .setPermittedTools(List.of("*"))
                                .setStatus(AgentStatus.ACTIVE)
                                .setChangedBy("operator")
                                .setChangedAt(NOW)
                                .build());
    }

    private void startTraced() {
        provider = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter))
                .build();
        start(OpenTelemetrySdk.builder().setTracerProvider(provider).build());
    }

    @AfterEach
    void stop() {
        if (driver != null) {
            driver.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private <V> TestInputTopic<String, V> input(final dev.hitl.schemas.topics.Topic<String, V> topic) {
        return driver.createInputTopic(
                topic.name(), new StringSerializer(), serdes.valueSerde(topic).serializer());
    }

    private <V> TestOutputTopic<String, V> output(final dev.hitl.schemas.topics.Topic<String, V> topic) {
        return driver.createOutputTopic(
                topic.name(), new StringDeserializer(), serdes.valueSerde(topic).deserializer());
    }

    private static ProposedAction action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("mailer")
                .setTarget("target")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(NOW.minusSeconds(1))
                .build();
    }

    /** Proposes with the agent's credential, and the agent's trace context when one is given. */
    private void propose(final ProposedAction action, final SpanContext agentSpan) {
        final RecordHeaders headers = new RecordHeaders();
        final AgentCredentials.Credential credential = AgentCredentials.derive(SECRET, AGENT, "c1");
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                credential, AgentCredentials.proposalContent(action, ProposalHash.of(action), "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        if (agentSpan != null) {
            TraceHeaders.inject(agentSpan, headers);
        }
        proposals.pipeInput(new TestRecord<>(action.getActionId(), action, headers, NOW));
    }

    private void spotCheckEverything() {
        final String yaml = DefaultPolicy.yaml()
                .replaceFirst("version: \"[^\"]+\"", "version: \"spot-all\"")
                .replaceFirst("(?s)\nspotChecks:.*?\n\n", "\nspotChecks: {rate: 1, group: reviewers}\n\n");
        assertThat(yaml).contains("spotChecks: {rate: 1, group: reviewers}");
        policy.pipeInput("default", new PolicyDocument("default", "?", yaml, sha(yaml), "t", NOW));
    }

    private static String sha(final String text) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private List<SpanData> spans(final String name) {
        return exporter.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(name))
                .toList();
    }

    private static SpanData only(final List<SpanData> spans) {
        assertThat(spans).hasSize(1);
        return spans.get(0);
    }

    /** @return the record's one {@code traceparent}'s span context (asserting there is exactly one) */
    private static SpanContext carried(final Headers headers) {
        final List<Header> all = new ArrayList<>();
        headers.headers(TraceHeaders.TRACEPARENT).forEach(all::add);
        assertThat(all).as("traceparent headers").hasSize(1);
        return TraceHeaders.spanContext(headers);
    }

    private static void assertSameSpan(final SpanContext carried, final SpanData span) {
        assertThat(carried.getTraceId()).isEqualTo(span.getTraceId());
        assertThat(carried.getSpanId()).isEqualTo(span.getSpanId());
    }

    @Test
    void shouldMakeTheClassifySpanAChildOfTheProposalAndCarryItsContextOnEveryRecordWritten() {
        startTraced();
        spotCheckEverything();

        propose(action("t-1", "search.web", "{\"q\": \"x\"}"), AGENT_SPAN);

        final SpanData classify = only(spans(HopSpans.CLASSIFY));
        assertThat(classify.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(classify.getTraceId()).isEqualTo(AGENT_SPAN.getTraceId());
        assertThat(classify.getParentSpanId()).isEqualTo(AGENT_SPAN.getSpanId());
        assertThat(classify.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("t-1");
        assertThat(classify.getAttributes().get(HitlAttributes.AGENT_ID)).isEqualTo(AGENT);
        assertThat(classify.getAttributes().get(HitlAttributes.ACTION_TYPE)).isEqualTo("search.web");
        assertThat(classify.getAttributes().get(HitlAttributes.GEN_AI_TOOL_NAME))
                .isEqualTo("mailer");
        assertThat(classify.getAttributes().get(HitlAttributes.RISK_CLASS)).isEqualTo("READ_ONLY");
        assertThat(classify.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("AUTO_APPROVED");
        final SpanData decide = only(spans(HopSpans.DECIDE));
        assertThat(decide.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(decide.getTraceId()).isEqualTo(AGENT_SPAN.getTraceId());
        assertThat(decide.getParentSpanId()).isEqualTo(classify.getSpanId());
        assertThat(decide.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("AUTO_APPROVED");
        assertThat(decide.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("t-1");

        // the agent's context is replaced, never added to: one traceparent per record
        final TestRecord<String, Decision> decision = decisions.readRecord();
        assertThat(decision.value().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertSameSpan(carried(decision.headers()), decide);
        assertSameSpan(carried(autoApproved.readRecord().headers()), classify);
        assertSameSpan(carried(spotChecks.readRecord().headers()), classify);
    }

    @Test
    void shouldCarryTheClassifySpanOnThePendingRecordSoTheRequestSpanIsItsChild() {
        startTraced();

        propose(action("t-2", "email.send", OUTSIDE_EMAIL), AGENT_SPAN);

        final SpanData classify = only(spans(HopSpans.CLASSIFY));
        assertThat(classify.getParentSpanId()).isEqualTo(AGENT_SPAN.getSpanId());
        assertThat(classify.getAttributes().get(HitlAttributes.RISK_CLASS)).isNotNull();
        assertThat(classify.getAttributes().get(HitlAttributes.OUTCOME))
                .as("people decide, not the classifier")
                .isNull();
        assertThat(spans(HopSpans.DECIDE)).isEmpty();
        final TestRecord<String, ClassifiedAction> record = pending.readRecord();
        assertThat(record.value().getAction().getActionId()).isEqualTo("t-2");
        assertSameSpan(carried(record.headers()), classify);
        assertThat(decisions.isEmpty()).isTrue();
    }

    @Test
    void shouldStartANewTraceForAProposalWithoutATraceContext() {
        startTraced();

        propose(action("t-3", "search.web", "{\"q\": \"x\"}"), null);

        final SpanData classify = only(spans(HopSpans.CLASSIFY));
        assertThat(classify.getParentSpanContext().isValid()).isFalse();
        final SpanData decide = only(spans(HopSpans.DECIDE));
        assertThat(decide.getTraceId()).isEqualTo(classify.getTraceId());
        assertThat(decide.getParentSpanId()).isEqualTo(classify.getSpanId());
        assertSameSpan(carried(decisions.readRecord().headers()), decide);
        assertSameSpan(carried(autoApproved.readRecord().headers()), classify);
    }

    @Test
    void shouldNameTheOutcomeOfEachDecisionTheClassifierMakes() {
        startTraced();

        propose(action("t-4", "db.query", "{\"sql\": \"DROP TABLE customers\"}"), AGENT_SPAN);
        propose(action("t-5", "search.web", "{\"q\": 1, \"q\": 2}"), AGENT_SPAN);
        // not authenticated: a credential for other content
        final ProposedAction forged = action("t-6", "search.web", "{\"q\": \"x\"}");
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                AgentCredentials.derive(SECRET, AGENT, "c1"),
                                AgentCredentials.proposalContent(
                                        action("other", "search.web", "{}"),
                                        ProposalHash.of(action("other", "search.web", "{}")),
                                        "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        TraceHeaders.inject(AGENT_SPAN, headers);
        proposals.pipeInput(new TestRecord<>("t-6", forged, headers, NOW));
        control.pipeInput(AGENT, new AgentControl(AGENT, AgentState.HALTED, "test", "ops", null, NOW));
        propose(action("t-7", "search.web", "{\"q\": \"y\"}"), AGENT_SPAN);

        final List<TestRecord<String, Decision>> written = decisions.readRecordsToList();
        assertThat(written)
                .extracting(r -> r.value().getOutcome())
                .containsExactly(Outcome.BLOCKED, Outcome.INVALID, Outcome.INVALID, Outcome.HALTED);
        final List<SpanData> classify = spans(HopSpans.CLASSIFY);
        final List<SpanData> decide = spans(HopSpans.DECIDE);
        assertThat(classify).hasSize(4);
        assertThat(decide).hasSize(4);
        for (int i = 0; i < 4; i++) {
            final String outcome = written.get(i).value().getOutcome().name();
            assertThat(classify.get(i).getParentSpanId()).isEqualTo(AGENT_SPAN.getSpanId());
            assertThat(classify.get(i).getAttributes().get(HitlAttributes.OUTCOME))
                    .isEqualTo(outcome);
            assertThat(decide.get(i).getParentSpanId())
                    .isEqualTo(classify.get(i).getSpanId());
            assertThat(decide.get(i).getAttributes().get(HitlAttributes.OUTCOME))
                    .isEqualTo(outcome);
            assertSameSpan(carried(written.get(i).headers()), decide.get(i));
        }
        assertThat(classify.get(0).getAttributes().get(HitlAttributes.RISK_CLASS))
                .isNotNull();
    }

    @Test
    void shouldTraceARepeatedRejectionAsADecisionUnderTheClassifySpan() {
        startTraced();
        propose(action("rm-1", "email.send", OUTSIDE_EMAIL), AGENT_SPAN);
        assertThat(pending.readValue().getAction().getActionId()).isEqualTo("rm-1");
        decisionsIn.pipeInput(
                AGENT,
                new DecisionSigner(DevelopmentKeys.privateKey())
                        .sign(Decision.newBuilder()
                                .setActionId("rm-1")
                                .setAgentId(AGENT)
                                .setActionType("email.send")
                                .setTool("mailer")
                                .setOutcome(Outcome.REJECTED)
                                .setApprovers(List.of("carol@example.com"))
                                .setFeedback(new dev.hitl.schemas.Feedback("No.", "reviewer"))
                                .setDecidedBy("carol@example.com")
                                .setDecidedAt(NOW)
                                .build()));
        decisions.readValuesToList();
        exporter.reset();

        propose(action("rm-2", "email.send", OUTSIDE_EMAIL), AGENT_SPAN);

        assertThat(pending.isEmpty()).isTrue();
        final TestRecord<String, Decision> decision = decisions.readRecord();
        assertThat(decision.value().getOutcome()).isEqualTo(Outcome.REJECTED);
        final SpanData classify = only(spans(HopSpans.CLASSIFY));
        final SpanData decide = only(spans(HopSpans.DECIDE));
        assertThat(decide.getParentSpanId()).isEqualTo(classify.getSpanId());
        assertThat(decide.getTraceId()).isEqualTo(AGENT_SPAN.getTraceId());
        assertThat(decide.getAttributes().get(HitlAttributes.OUTCOME)).isEqualTo("REJECTED");
        assertThat(decide.getAttributes().get(HitlAttributes.ACTION_ID)).isEqualTo("rm-2");
        assertSameSpan(carried(decision.headers()), decide);
    }

    /**
     * Tracing off: the tracing README's contract is that a hop's span is its parent's context, so
     * the agent's context goes on unchanged (escalation and the SDK, traced or not, still join the
     * agent's trace); a proposal without one gives records without one. Never a context of the
     * classifier's own, and never two.
     */
    @Test
    void shouldPassTheAgentsContextOnUnchangedWithTracingOff() {
        start(OpenTelemetry.noop());

        propose(action("n-1", "search.web", "{\"q\": \"x\"}"), AGENT_SPAN);
        propose(action("n-2", "email.send", OUTSIDE_EMAIL), AGENT_SPAN);
        propose(action("n-3", "search.web", "{\"q\": \"z\"}"), null);

        final List<TestRecord<String, Decision>> written = decisions.readRecordsToList();
        assertThat(written).hasSize(2);
        assertThat(carried(written.get(0).headers())).isEqualTo(AGENT_SPAN);
        assertThat(carried(autoApproved.readRecord().headers())).isEqualTo(AGENT_SPAN);
        assertThat(carried(pending.readRecord().headers())).isEqualTo(AGENT_SPAN);
        assertThat(written.get(1).headers().lastHeader(TraceHeaders.TRACEPARENT))
                .isNull();
        assertThat(autoApproved.readRecord().headers().lastHeader(TraceHeaders.TRACEPARENT))
                .isNull();
        assertThat(exporter.getFinishedSpanItems()).isEmpty();
    }

    /** A tracer that throws (a broken SDK or exporter) fails no record: it is classified as without traces. */
    @Test
    void shouldClassifyEveryRecordWhenTheTracerThrows() {
        final Tracer broken = name -> {
            throw new IllegalStateException("broken tracer");
        };
        start(new OpenTelemetry() {
            @Override
            public TracerProvider getTracerProvider() {
                return new TracerProvider() {
                    @Override
                    public Tracer get(final String instrumentationScopeName) {
                        return broken;
                    }

                    @Override
                    public Tracer get(final String instrumentationScopeName, final String instrumentationScopeVersion) {
                        return broken;
                    }

                    @Override
                    public TracerBuilder tracerBuilder(final String instrumentationScopeName) {
                        return new TracerBuilder() {
                            @Override
                            public TracerBuilder setSchemaUrl(final String schemaUrl) {
                                return this;
                            }

                            @Override
                            public TracerBuilder setInstrumentationVersion(final String version) {
                                return this;
                            }

                            @Override
                            public Tracer build() {
                                return broken;
                            }
                        };
                    }
                };
            }

            @Override
            public ContextPropagators getPropagators() {
                return ContextPropagators.noop();
            }
        });

        propose(action("b-1", "search.web", "{\"q\": \"x\"}"), AGENT_SPAN);
        propose(action("b-2", "email.send", OUTSIDE_EMAIL), AGENT_SPAN);
        propose(action("b-3", "search.web", "{\"q\": 1, \"q\": 2}"), AGENT_SPAN);

        final List<TestRecord<String, Decision>> written = decisions.readRecordsToList();
        assertThat(written)
                .extracting(r -> r.value().getOutcome())
                .containsExactly(Outcome.AUTO_APPROVED, Outcome.INVALID);
        assertThat(written).allSatisfy(r -> assertThat(carried(r.headers())).isEqualTo(AGENT_SPAN));
        assertThat(carried(autoApproved.readRecord().headers())).isEqualTo(AGENT_SPAN);
        assertThat(carried(pending.readRecord().headers())).isEqualTo(AGENT_SPAN);
    }
}
