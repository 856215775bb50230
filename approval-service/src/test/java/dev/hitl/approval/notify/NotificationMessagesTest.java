package dev.hitl.approval.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A request for a modified version says so in every channel: the version, who modified it and why,
 * the arguments to approve (not the agent's) and each change; the modifier's text is as untrusted as
 * the agent's.
 */
class NotificationMessagesTest {

    private static final PolicyEvaluator POLICY = new PolicyEvaluator(DefaultPolicy.load());
    private static final String CARD = "https://approvals.example.com/ui/requests/mod-1";
    private static final String ORIGINAL = "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}";
    private static final String MODIFIED = "{\"sql\":\"UPDATE invoices SET note='<!channel>' WHERE id=7\",\"limit\":1}";

    @Test
    void shouldTellTheGroupOfAModifiedVersionWithTheModifierTheReasonTheArgumentsAndTheChangesEscaped()
            throws Exception {
        final ApprovalRequest request = modified();

        final JsonNode hook = new ObjectMapper().readTree(NotificationMessages.webhookJson(request, CARD));
        assertThat(hook.get("requestId").asText()).isEqualTo("mod-1:0:0:v1");
        assertThat(hook.get("actionVersion").asInt()).isEqualTo(1);
        assertThat(hook.get("modifiedBy").asText()).isEqualTo("senior");
        assertThat(hook.get("text").asText())
                .startsWith("Modified by senior (version 1), approval needed again: db.execute");
        final String blocks = hook.get("blocks").toString();
        assertThat(blocks)
                .contains("*Version:* 1")
                .contains("*Modified by:* senior")
                .contains("*Their reason:* only row 7 &lt;http://evil.example|see&gt;")
                .contains("*Arguments to approve:* {\\\"sql\\\":\\\"UPDATE invoices SET note='&lt;!channel&gt;'")
                .contains("*Changed /sql:* \\\"UPDATE invoices SET note='x' WHERE id=7\\\" → \\\"UPDATE invoices SET"
                        + " note='&lt;!channel&gt;' WHERE id=7\\\"")
                .contains("*Added /limit:* (absent) → 1")
                .doesNotContain("<!channel>")
                .doesNotContain("<http://evil.example");

        assertThat(NotificationMessages.mailSubject(request))
                .startsWith("[hitl] modified by senior, approval needed again: db.execute")
                .doesNotContain("\n");
        assertThat(NotificationMessages.mailText(request, CARD))
                .contains("A reviewer modified the action's arguments: you are asked again")
                .contains("Version: 1\n")
                .contains("Modified by: senior\n")
                .contains("Their reason: only row 7 <http://evil.example|see>\n")
                .contains("Arguments to approve: " + MODIFIED + "\n")
                .contains("Changed /sql: \"UPDATE invoices SET note='x' WHERE id=7\" → ")
                .contains("Added /limit: (absent) → 1\n");
    }

    @Test
    void shouldSayNothingOfVersionsOnTheAgentsOwnProposal() {
        final ApprovalRequest request = request(0);
        assertThat(NotificationMessages.webhookJson(request, CARD))
                .contains("\"text\":\"Approval needed: db.execute")
                .doesNotContain("modifiedBy")
                .doesNotContain("Arguments to approve");
        assertThat(NotificationMessages.mailText(request, CARD)).doesNotContain("modified");
    }

    private static ApprovalRequest modified() {
        final ApprovalRequest request = request(1);
        request.setRequestId("mod-1:0:0:v1");
        request.setArguments(MODIFIED);
        request.setArgumentsHash(CanonicalJson.sha256(MODIFIED));
        request.setArgumentsDiff(ArgumentsDiff.between(ORIGINAL, MODIFIED));
        request.setModifiedBy("senior");
        request.setModificationReason("only row 7\n<http://evil.example|see>");
        return request;
    }

    private static ApprovalRequest request(final int version) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId("mod-1")
                .setAgentId("billing-agent")
                .setOnBehalfOf("carol@example.com")
                .setActionType("db.execute")
                .setTool("postgres")
                .setArguments(ORIGINAL)
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
        return ApprovalRequest.newBuilder()
                .setRequestId("mod-1:0:0")
                .setAction(action)
                .setAssessment(POLICY.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard",
                        "data-owners",
                        List.of(new ApprovalStage("data-owners", 1)),
                        ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setActionVersion(version)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }
}
