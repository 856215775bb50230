package dev.hitl.schemas.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import org.junit.jupiter.api.Test;

class TopicCatalogueTest {

    @Test
    void shouldNameTheTopicsOfTheDesign() {
        assertThat(TopicCatalogue.standard().all().stream().map(Topic::name))
                .containsExactly(
                        "hitl.actions.proposed",
                        "hitl.actions.auto-approved",
                        "hitl.approvals.pending",
                        "hitl.approvals.requests",
                        "hitl.approvals.votes",
                        "hitl.approvals.ignored-votes",
                        "hitl.approvals.reminders",
                        "hitl.approvals.revoked-sessions",
                        "hitl.decisions",
                        "hitl.spotchecks",
                        "hitl.spotchecks.answers",
                        "hitl.agents.control",
                        "hitl.agents.registry",
                        "hitl.voters.registry",
                        "hitl.policy",
                        "hitl.trust",
                        "hitl.audit.log",
                        "hitl.audit.checkpoints",
                        "hitl.dlq");
    }

    @Test
    void shouldCarryTheRecordTypesOfEachTopic() {
        final TopicCatalogue catalogue = TopicCatalogue.standard();
        assertThat(catalogue.actionsProposed().valueType()).isEqualTo(ProposedAction.class);
        assertThat(catalogue.decisions().valueType()).isEqualTo(Decision.class);
        assertThat(catalogue.deadLetters().valueType()).isEqualTo(byte[].class);
        assertThat(catalogue.spotChecks().valueType()).isEqualTo(SpotCheck.class);
        assertThat(catalogue.spotCheckAnswers().valueType()).isEqualTo(SpotCheckAnswer.class);
        assertThat(catalogue.approvalsReminders().valueType()).isEqualTo(Reminder.class);
        // keyed by actionId like the requests they remind of
        assertThat(catalogue.approvalsReminders().partitions())
                .isEqualTo(catalogue.approvalsRequests().partitions());
        assertThat(catalogue.spotChecks().partitions())
                .isEqualTo(catalogue.actionsProposed().partitions());
        assertThat(catalogue.spotCheckAnswers().partitions())
                .isEqualTo(catalogue.actionsProposed().partitions());
    }

    @Test
    void shouldKeepTheAuditLogForeverAndNeverCompactIt() {
        final Topic<?, ?> audit = TopicCatalogue.standard().auditLog();
        assertThat(audit.config())
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("retention.ms", "-1")
                .containsEntry("retention.bytes", "-1");
        assertThat(audit.enforced()).contains("cleanup.policy", "retention.ms", "retention.bytes");
        final Topic<?, ?> checkpoints = TopicCatalogue.standard().auditCheckpoints();
        assertThat(checkpoints.name()).isEqualTo("hitl.audit.checkpoints");
        assertThat(checkpoints.config())
                .containsEntry("cleanup.policy", "delete")
                .containsEntry("retention.ms", "-1")
                .containsEntry("retention.bytes", "-1");
        assertThat(checkpoints.enforced()).contains("cleanup.policy", "retention.ms", "retention.bytes");
    }

    @Test
    void shouldCompactTheStateTopics() {
        final TopicCatalogue catalogue = TopicCatalogue.standard();
        assertThat(catalogue.agentsControl().config()).containsEntry("cleanup.policy", "compact");
        assertThat(catalogue.policy().config()).containsEntry("cleanup.policy", "compact");
        assertThat(catalogue.trust().config()).containsEntry("cleanup.policy", "compact");
        assertThat(catalogue.policy().partitions()).isEqualTo(1);
    }

    @Test
    void shouldPrefixEveryNameWithTheNamespace() {
        assertThat(new TopicCatalogue("staging.hitl", 3).all()).allSatisfy(topic -> {
            assertThat(topic.name()).startsWith("staging.hitl.");
        });
        assertThat(new TopicCatalogue("x", 3).decisions().partitions()).isEqualTo(3);
    }

    @Test
    void shouldRefuseAnIllegalNamespace() {
        assertThatThrownBy(() -> new TopicCatalogue("bad name!", 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bad name!'");
    }

    @Test
    void shouldBuildTrustKeysFromAgentAndActionType() {
        assertThat(TopicCatalogue.trustKey("agent-1", "email.send")).isEqualTo("agent-1|email.send");
    }
}
