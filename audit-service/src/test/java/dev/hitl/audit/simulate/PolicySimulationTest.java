package dev.hitl.audit.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.audit.AuditFixtures;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.chain.AvroFromJson;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.store.TestDatabase;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.ProposedAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The simulation of the default policy and of a stricter and a looser variant over {@link History}:
 * each from the audit store (a real PostgreSQL server, as the service runs it) and from the log
 * itself (as the command line runs it), with the same report.
 */
class PolicySimulationTest {

    private static List<LogRecord> log;
    private static StoreSimulation store;

    @BeforeAll
    static void record() throws Exception {
        log = RecordedHistory.record(History::build);
        store = new StoreSimulation(TestDatabase.filled(log));
    }

    private static SimulationReport simulate(final String yaml, final Instant from) throws Exception {
        final SimulationReport fromStore = store.simulate(PolicyParser.parse(yaml), from, null);
        final LogSimulation simulation = new LogSimulation(PolicyParser.parse(yaml), from, null);
        log.forEach(simulation);
        assertThat(simulation.report()).as("the same report from the log").isEqualTo(fromStore);
        return fromStore;
    }

    @Test
    void shouldReadARecordedProposalBackIntoTheActionItWasMadeFrom() {
        final ProposedAction action =
                AuditFixtures.proposed("x-1", "agent-1", Instant.parse("2026-03-01T09:00:00.123Z"));

        assertThat(AvroFromJson.read(AvroJson.toJson(action), ProposedAction.class))
                .isEqualTo(action);
    }

    @Test
    void shouldChangeNothingWhenTheCandidateIsThePolicyThatClassified() throws Exception {
        final SimulationReport r = simulate(DefaultPolicy.yaml(), null);

        assertThat(r.proposals()).isEqualTo(History.ACTIONS);
        assertThat(r.compared()).isEqualTo(History.ACTIONS);
        assertThat(r.notEvaluated()).isZero();
        assertThat(r.unclassified()).isZero();
        assertThat(r.unchanged()).isEqualTo(History.ACTIONS);
        assertThat(r.recorded()).isEqualTo(r.candidate());
        assertThat(r.recorded())
                .containsExactlyInAnyOrderEntriesOf(Map.of("AUTO_APPROVE", 18L, "NEEDS_APPROVAL", 12L, "BLOCK", 0L));
        assertThat(r.changes()).isEmpty();
        assertThat(r.autoApprovedButRejectedByHumans()).isEmpty();
    }

    @Test
    void shouldSendTheWritesToPeopleUnderAStricterThreshold() throws Exception {
        final SimulationReport r = simulate(History.stricter(DefaultPolicy.yaml()), null);

        assertThat(r.toHumanReview()).isEqualTo(History.STRICTER_TO_HUMAN_REVIEW);
        assertThat(r.toAutoApproval()).isZero();
        assertThat(r.unchanged()).isEqualTo(History.ACTIONS - History.STRICTER_TO_HUMAN_REVIEW);
        assertThat(r.changes()).containsExactlyInAnyOrderEntriesOf(Map.of("AUTO_APPROVE->NEEDS_APPROVAL", 8L));
        assertThat(r.candidate()).containsEntry("AUTO_APPROVE", 10L).containsEntry("NEEDS_APPROVAL", 20L);
        assertThat(r.changedActions())
                .extracting(SimulationReport.Change::actionId)
                .containsExactlyInAnyOrder("b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "b-7");
        assertThat(r.changedActions())
                .allSatisfy(c -> assertThat(c.candidateRules()).containsExactly("files.write"));
        assertThat(r.causes()).containsExactly(new SimulationReport.Cause("same rules: score or thresholds", 0, 8, 0));
        assertThat(r.autoApprovedButRejectedByHumans()).isEmpty();
    }

    @Test
    void shouldNameTheRejectedAndModifiedActionsALooserThresholdWouldAutoApprove() throws Exception {
        final SimulationReport r = simulate(History.looser(DefaultPolicy.yaml()), null);

        assertThat(r.toAutoApproval()).isEqualTo(History.LOOSER_TO_AUTO_APPROVAL);
        assertThat(r.toHumanReview()).isZero();
        assertThat(r.changes()).containsExactlyInAnyOrderEntriesOf(Map.of("NEEDS_APPROVAL->AUTO_APPROVE", 6L));
        assertThat(r.changedActions())
                .extracting(SimulationReport.Change::actionId)
                .containsExactlyInAnyOrder("c-0", "c-1", "c-2", "c-3", "c-4", "c-5");
        assertThat(r.autoApprovedButRejectedByHumans())
                .extracting(SimulationReport.Overruled::actionId)
                .containsExactlyInAnyOrderElementsOf(History.REJECTED_OR_MODIFIED_C);
        assertThat(r.autoApprovedButRejectedByHumans())
                .extracting(SimulationReport.Overruled::outcome)
                .containsExactlyInAnyOrder("REJECTED", "REJECTED", "REJECTED", "MODIFIED");
        final SimulationReport.Overruled first = r.autoApprovedButRejectedByHumans().stream()
                .filter(o -> o.actionId().equals("c-0"))
                .findFirst()
                .orElseThrow();
        assertThat(first.reason()).isEqualTo("not like this: c-0");
        assertThat(first.decidedBy()).isEqualTo("carol@example.com");
        assertThat(first.candidateScore()).isEqualTo(0.4);
    }

    @Test
    void shouldReplayOnlyTheProposalsOfTheRange() throws Exception {
        final SimulationReport r =
                simulate(History.looser(DefaultPolicy.yaml()), History.START.plus(Duration.ofMinutes(240)));

        assertThat(r.proposals()).isEqualTo(6);
        assertThat(r.unchanged()).isEqualTo(6);
        assertThat(r.autoApprovedButRejectedByHumans()).isEmpty();
    }
}
