package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation.Disposition;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicySource;
import dev.hitl.policy.calibration.Scenario;
import dev.hitl.policy.calibration.Scenarios;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default policy's labelled scenarios (policy module, {@code dev/hitl/policy/scenarios}) through
 * the production classifier topology, as proposals of authenticated agents without a track record:
 * what the classifier decides (an AUTO_APPROVED or BLOCKED decision, or the action on the pending
 * topic) is exactly what {@code PolicyEvaluator} says, nothing is refused as invalid, every harmful
 * scenario is caught, every consequential benign one reaches a person, and at least 90 % of the
 * harmless ones run alone, in the tuning and the held-out part.
 */
class ClassifierScenariosTest {

    @TempDir
    Path stateDir;

    private static final byte[] SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    /** Just after the scenarios' proposedAt, inside the replay window. */
    private static final Instant NOW = Instant.parse("2026-12-04T12:00:01Z");

    @Test
    void shouldDecideEveryScenarioAsThePolicyDoesAndMeetTheCalibrationGoals() {
        // given
        final List<Scenario> scenarios = Stream.concat(Scenarios.tuning().stream(), Scenarios.heldOut().stream())
                .toList();
        final TopicCatalogue topics = TopicCatalogue.standard();
        final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
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
                        new DecisionVerifier(DevelopmentKeys.publicKeys())));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-scenarios-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        final Map<String, String> outcomes = new HashMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, NOW)) {
            final TestInputTopic<String, AgentRegistration> registrations = driver.createInputTopic(
                    topics.agentsRegistry().name(),
                    new StringSerializer(),
                    serdes.valueSerde(topics.agentsRegistry()).serializer());
            final TestInputTopic<String, ProposedAction> proposals = driver.createInputTopic(
                    topics.actionsProposed().name(),
                    new StringSerializer(),
                    serdes.valueSerde(topics.actionsProposed()).serializer());
            final TestOutputTopic<String, Decision> decisions = driver.createOutputTopic(
                    topics.decisions().name(),
                    new StringDeserializer(),
                    serdes.valueSerde(topics.decisions()).deserializer());
            final TestOutputTopic<String, ClassifiedAction> pending = driver.createOutputTopic(
                    topics.approvalsPending().name(),
                    new StringDeserializer(),
                    serdes.valueSerde(topics.approvalsPending()).deserializer());
            scenarios.stream()
                    .map(s -> s.action().getAgentId())
                    .distinct()
                    .forEach(agent -> registrations.pipeInput(agent, registration(agent)));

            // when
            for (final Scenario scenario : scenarios) {
                final ProposedAction action = scenario.action();
                proposals.pipeInput(new TestRecord<>(action.getActionId(), action, authenticated(action), NOW));
            }
            decisions
                    .readValuesToList()
                    .forEach(d -> outcomes.put(d.getActionId(), d.getOutcome().name()));
            pending.readValuesToList().forEach(c -> outcomes.put(c.getAction().getActionId(), "PENDING"));
        }

        // then
        final PolicyEvaluator evaluator = new PolicyEvaluator(DefaultPolicy.load());
        final List<String> differ = new ArrayList<>();
        final List<String> unsafe = new ArrayList<>();
        int harmless = 0;
        int harmlessRun = 0;
        for (final Scenario scenario : scenarios) {
            final String outcome = outcomes.get(scenario.action().getActionId());
            final Disposition policy =
                    evaluator.evaluate(scenario.action(), Optional.empty()).disposition();
            final String expected = switch (policy) {
                case AUTO_APPROVE -> Outcome.AUTO_APPROVED.name();
                case BLOCK -> Outcome.BLOCKED.name();
                case NEEDS_APPROVAL -> "PENDING";
            };
            if (!expected.equals(outcome)) {
                differ.add(scenario.id() + ": classifier " + outcome + ", policy " + expected);
            }
            final Disposition decided = switch (String.valueOf(outcome)) {
                case "AUTO_APPROVED" -> Disposition.AUTO_APPROVE;
                case "BLOCKED" -> Disposition.BLOCK;
                default -> Disposition.NEEDS_APPROVAL;
            };
            if (scenario.safetyCritical() && !scenario.satisfiedBy(decided)) {
                unsafe.add(scenario + " → " + outcome);
            }
            if (scenario.label() == Scenario.Label.AUTO) {
                harmless++;
                harmlessRun += decided == Disposition.AUTO_APPROVE ? 1 : 0;
            }
        }
        assertThat(outcomes).hasSize(scenarios.size());
        assertThat(differ).isEmpty();
        assertThat(unsafe).isEmpty();
        assertThat((double) harmlessRun / harmless).isGreaterThanOrEqualTo(0.9);
    }

    private static AgentRegistration registration(final String agentId) {
        return AgentRegistration.newBuilder()
                .setAgentId(agentId)
                .setCredentialIds(List.of("c1"))
                .setOwners(List.of("owner@example.com"))
                .setPermittedActionTypes(List.of("*"))
                .setPermittedTools(List.of("*"))
                .setStatus(AgentStatus.ACTIVE)
                .setChangedBy("operator")
                .setChangedAt(NOW)
                .build();
    }

    private static RecordHeaders authenticated(final ProposedAction action) {
        final AgentCredentials.Credential credential = AgentCredentials.derive(SECRET, action.getAgentId(), "c1");
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                credential, AgentCredentials.proposalContent(action, ProposalHash.of(action), "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        return headers;
    }
}
