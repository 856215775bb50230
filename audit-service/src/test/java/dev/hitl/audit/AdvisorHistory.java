package dev.hitl.audit;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A recorded history in which the policy advisor's right answer is known by construction. The
 * default policy is published first; every action is of a tool family it does not name (so it
 * classifies them IRREVERSIBLE, by default, and sends them to people), proposed on user input with
 * confidence 0.9, and each gets one vote {@code 10 s × (its index in its group + 1)} after its
 * request, then the decision:
 *
 * <ul>
 *   <li>{@code acme.ledger.annotate} (tool {@code acme}), 12 actions, all APPROVED, arguments {@code
 *       visibility: internal}, {@code priority} 1..12 and a free {@code text}: the advisor suggests
 *       {@link #ANNOTATE_RULE} (median time on card 60 s, the 6th of 12; 12 votes);
 *   <li>{@code acme.ledger.recolor}, 20 APPROVED and one REJECTED, all with {@code label: blue}: 95.2 %
 *       approved passes the 95 % threshold, and the simulation drops it (it would auto-approve the
 *       rejected one);
 *   <li>{@code acme.ledger.purge}, 10 REJECTED with {@code scope: all}: a block is suggested;
 *   <li>{@code acme.ledger.dump}, 9 APPROVED: under the minimum count, nothing is suggested.
 * </ul>
 *
 * Action {@code i} of the whole history is proposed {@code i} minutes after {@link #START}.
 */
public final class AdvisorHistory {

    public static final Instant START = Instant.parse("2026-03-02T09:00:00Z");
    public static final Instant FROM = Instant.parse("2026-03-01T00:00:00Z");
    public static final Instant TO = Instant.parse("2026-04-01T00:00:00Z");

    /** The rule suggested for the annotations, exactly. */
    public static final String ANNOTATE_RULE = """
              - id: "advisor.approve.acme.ledger.annotate.acme"
                description: "Suggested by the policy advisor: 12 human decisions (12 approved, 0 modified, 0 rejected)\
             from 2026-03-01T00:00:00.000Z to 2026-04-01T00:00:00.000Z"
                match:
                  actionType: "acme.ledger.annotate"
                  tool: "acme"
                  arguments:
                    - field: "/priority"
                      lessThan: 13
                    - field: "/visibility"
                      in: ["internal"]
                riskClass: REVERSIBLE_WRITE
                reason: "People approved 12 of 12 such actions (policy advisor)"
            """;

    /** The block suggested for the purges, exactly. */
    public static final String PURGE_RULE = """
              - id: "advisor.block.acme.ledger.purge.acme"
                description: "Suggested by the policy advisor: 10 human decisions (0 approved, 0 modified, 10 rejected)\
             from 2026-03-01T00:00:00.000Z to 2026-04-01T00:00:00.000Z"
                match:
                  actionType: "acme.ledger.purge"
                  tool: "acme"
                  arguments:
                    - field: "/scope"
                      in: ["all"]
                block: "People rejected 10 of 10 such actions (policy advisor)"
            """;

    private AdvisorHistory() {}

    /**
     * @param topics where the records go
     * @return the input records
     */
    public static List<AuditFixtures.Input> build(final TopicCatalogue topics) {
        final PolicyEvaluator evaluator = new PolicyEvaluator(DefaultPolicy.load());
        final List<AuditFixtures.Input> out = new ArrayList<>();
        final String yaml = DefaultPolicy.yaml();
        out.add(new AuditFixtures.Input(
                topics.policy().name(),
                "default",
                PolicyDocument.newBuilder()
                        .setName("default")
                        .setVersion(DefaultPolicy.load().version())
                        .setYaml(yaml)
                        .setSha256(dev.hitl.runtime.OperatorSettings.sha256Hex(yaml))
                        .setPublishedBy("ops@example.com")
                        .setPublishedAt(START.minusSeconds(60))
                        .build()));
        final int[] index = {0};
        for (int i = 0; i < 12; i++) {
            add(
                    topics,
                    evaluator,
                    out,
                    index,
                    "an-" + i,
                    "acme.ledger.annotate",
                    "{\"visibility\":\"internal\",\"priority\":" + (i + 1) + ",\"text\":\"note " + i + "\"}",
                    Outcome.APPROVED,
                    i);
        }
        for (int i = 0; i < 21; i++) {
            add(
                    topics,
                    evaluator,
                    out,
                    index,
                    "rc-" + i,
                    "acme.ledger.recolor",
                    "{\"label\":\"blue\"}",
                    i == 7 ? Outcome.REJECTED : Outcome.APPROVED,
                    i);
        }
        for (int i = 0; i < 10; i++) {
            add(
                    topics,
                    evaluator,
                    out,
                    index,
                    "pu-" + i,
                    "acme.ledger.purge",
                    "{\"scope\":\"all\"}",
                    Outcome.REJECTED,
                    i);
        }
        for (int i = 0; i < 9; i++) {
            add(
                    topics,
                    evaluator,
                    out,
                    index,
                    "du-" + i,
                    "acme.ledger.dump",
                    "{\"format\":\"csv\"}",
                    Outcome.APPROVED,
                    i);
        }
        return out;
    }

    private static void add(
            final TopicCatalogue topics,
            final PolicyEvaluator evaluator,
            final List<AuditFixtures.Input> out,
            final int[] index,
            final String id,
            final String type,
            final String arguments,
            final Outcome outcome,
            final int inGroup) {
        final ProposedAction a = ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId("agent-ledger-" + (inGroup % 2))
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("acme")
                .setTarget("ledger-" + (inGroup % 3))
                .setArguments(arguments)
                .setConfidence(0.9)
                .setSystemsAffected(List.of("ledger"))
                .setInputTrust(InputTrust.USER)
                .setContext(
                        ActionContext.newBuilder().setUserRequest("do " + id).build())
                .setProposedAt(START.plus(Duration.ofMinutes(index[0]++)))
                .build();
        out.add(new AuditFixtures.Input(topics.actionsProposed().name(), id, a));
        final ClassifiedAction c = new ClassifiedAction(
                a,
                evaluator
                        .evaluate(a, Optional.empty())
                        .toAssessment(a.getProposedAt().plusMillis(5)));
        out.add(new AuditFixtures.Input(topics.approvalsPending().name(), id, c));
        final ApprovalRequest request = AuditFixtures.request(c);
        out.add(new AuditFixtures.Input(topics.approvalsRequests().name(), id, request));
        final Instant votedAt = request.getRequestedAt().plusSeconds(10L * (inGroup + 1));
        final Verdict verdict = outcome == Outcome.APPROVED ? Verdict.APPROVE : Verdict.REJECT;
        out.add(new AuditFixtures.Input(
                topics.approvalsVotes().name(),
                id,
                Vote.newBuilder()
                        .setVoteId(id + "-vote")
                        .setActionId(id)
                        .setApprover("rita@example.com")
                        .setGroups(List.of("reviewers"))
                        .setVerdict(verdict)
                        .setReason(verdict == Verdict.APPROVE ? null : "not this one")
                        .setVotedAt(votedAt)
                        .build()));
        final boolean runs = outcome == Outcome.APPROVED;
        out.add(new AuditFixtures.Input(
                topics.decisions().name(),
                a.getAgentId(),
                AuditFixtures.SIGNER.sign(Decision.newBuilder()
                        .setActionId(id)
                        .setAgentId(a.getAgentId())
                        .setActionType(type)
                        .setTool(a.getTool())
                        .setTarget(a.getTarget())
                        .setOutcome(outcome)
                        .setFinalArguments(runs ? arguments : null)
                        .setArgumentsHash(runs ? CanonicalJson.sha256(arguments) : null)
                        .setApprovers(List.of("rita@example.com"))
                        .setFeedback(runs ? null : new Feedback("not this one", "reviewer"))
                        .setDecidedBy("rita@example.com")
                        .setPolicyVersion(DefaultPolicy.load().version())
                        .setDecidedAt(votedAt.plusMillis(3))
                        .build())));
    }
}
