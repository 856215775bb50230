package dev.hitl.audit;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentState;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.Trigger;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** Records of every input type, for the audit tests. */
public final class AuditFixtures {

    /** One record to put on an input topic. */
    public record Input(String topic, String key, SpecificRecord value) {}

    private AuditFixtures() {}

    public static ProposedAction proposed(final String actionId, final String agentId, final Instant at) {
        return ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setOnBehalfOf("alice@example.com")
                .setActionType("payment.create")
                .setTool("payments")
                .setTarget("invoice/" + actionId)
                .setArguments("{\"amount\":\"12.50\",\"to\":\"ACME \\\"Ltd\\\"\",\"note\":\"ünïcode ✓\"}")
                .setEstimatedCost(new Money(new BigDecimal("12.500000000"), "EUR"))
                .setConfidence(0.75)
                .setSystemsAffected(List.of("billing", "ledger"))
                .setInputTrust(InputTrust.USER)
                .setDomain("finance")
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("pay the invoice")
                        .setRisks(List.of("double payment"))
                        .build())
                .setProposedAt(at)
                .build();
    }

    public static RiskAssessment assessment(final RiskClass riskClass, final Instant at) {
        return RiskAssessment.newBuilder()
                .setRiskClass(riskClass)
                .setScore(0.5)
                .setReasons(List.of("cost above 10 EUR"))
                .setMatchedRules(List.of("payments-review"))
                .setTriggers(List.of(new Trigger("cost", "12.5", "10", null)))
                .setPolicyVersion("policy-v7")
                .setAutonomyLevel(AutonomyLevel.STANDARD)
                .setAssessedAt(at)
                .build();
    }

    public static ClassifiedAction classified(final ProposedAction action, final RiskClass riskClass) {
        return new ClassifiedAction(
                action, assessment(riskClass, action.getProposedAt().plusMillis(5)));
    }

    public static ApprovalRequest request(final ClassifiedAction classified) {
        final Instant at = classified.getAssessment().getAssessedAt().plusMillis(5);
        return ApprovalRequest.newBuilder()
                .setRequestId(classified.getAction().getActionId() + "-0-0")
                .setAction(classified.getAction())
                .setAssessment(classified.getAssessment())
                .setRoute(new ApprovalRoute(
                        "tier-1",
                        "finance-reviewers",
                        List.of(new ApprovalStage("finance-reviewers", 1)),
                        ApprovalMode.SEQUENTIAL))
                .setDeadline(at.plusSeconds(3600))
                .setOnTimeout(OnTimeout.TIME_OUT)
                .setRequestedAt(at)
                .build();
    }

    public static Vote vote(final String actionId, final String approver, final Instant at) {
        return Vote.newBuilder()
                .setVoteId(actionId + "-" + approver)
                .setActionId(actionId)
                .setApprover(approver)
                .setGroups(List.of("finance-reviewers"))
                .setVerdict(Verdict.APPROVE)
                .setReason("looks right")
                .setVotedAt(at)
                .setTimeOnCardMillis(4200L)
                .build();
    }

    public static Decision decision(
            final String actionId, final String agentId, final Outcome outcome, final Instant at) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setActionType("payment.create")
                .setOutcome(outcome)
                .setApprovers(List.of("bob@example.com"))
                .setFeedback(new Feedback("fine", null))
                .setDecidedBy("bob@example.com")
                .setPolicyVersion("policy-v7")
                .setDecidedAt(at)
                .build();
    }

    public static AgentControl halt(final String agentId, final String actionId, final Instant at) {
        return AgentControl.newBuilder()
                .setAgentId(agentId)
                .setState(AgentState.HALTED)
                .setReason("too many rejections")
                .setActor("ops@example.com")
                .setActionId(actionId)
                .setChangedAt(at)
                .build();
    }

    public static PolicyDocument policy(final String name, final String version, final Instant at) {
        return PolicyDocument.newBuilder()
                .setName(name)
                .setVersion(version)
                .setYaml("version: " + version + "\nrules: []\n")
                .setSha256("0".repeat(64))
                .setPublishedBy("ops@example.com")
                .setPublishedAt(at)
                .build();
    }

    /**
     * The whole life of {@code count} actions, in an order the services could produce it: for each
     * action a proposal, its classification (every fifth auto-approved, the rest pending, a request
     * and a vote), a decision; plus one agent-control and one policy event every ten actions.
     *
     * @param topics the topic catalogue
     * @param prefix action id prefix
     * @param count number of actions
     * @param start time of the first proposal
     * @return the input records
     */
    public static List<Input> lifecycle(
            final TopicCatalogue topics, final String prefix, final int count, final Instant start) {
        final List<Input> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final String id = prefix + "-" + i;
            final String agent = "agent-" + (i % 4);
            final Instant at = start.plusSeconds(i);
            final ProposedAction action = proposed(id, agent, at);
            out.add(new Input(topics.actionsProposed().name(), id, action));
            if (i % 5 == 0) {
                out.add(new Input(topics.actionsAutoApproved().name(), id, classified(action, RiskClass.READ_ONLY)));
                out.add(new Input(
                        topics.decisions().name(),
                        agent,
                        decision(id, agent, Outcome.AUTO_APPROVED, at.plusMillis(7))));
            } else {
                final ClassifiedAction classified = classified(action, RiskClass.IRREVERSIBLE);
                out.add(new Input(topics.approvalsPending().name(), id, classified));
                out.add(new Input(topics.approvalsRequests().name(), id, request(classified)));
                out.add(new Input(topics.approvalsVotes().name(), id, vote(id, "bob@example.com", at.plusMillis(500))));
                out.add(new Input(
                        topics.decisions().name(), agent, decision(id, agent, Outcome.APPROVED, at.plusMillis(600))));
            }
            if (i % 10 == 9) {
                out.add(new Input(topics.agentsControl().name(), agent, halt(agent, id, at.plusMillis(700))));
                out.add(new Input(topics.policy().name(), "default", policy("default", prefix + "-v" + i, at)));
            }
        }
        return out;
    }
}
