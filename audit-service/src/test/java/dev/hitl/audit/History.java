package dev.hitl.audit;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A recorded history designed so that every report and simulation has counts known by construction.
 * The classifications carry the assessment the shipped default policy makes (by the classifier's
 * own evaluator), as the classifier would have recorded them. Four groups, 30 actions:
 *
 * <ul>
 *   <li>A, 10 × {@code search.query} by agent-search: READ_ONLY, score 0.05, auto-approved;
 *   <li>B, 8 × {@code file.write} by agent-files: REVERSIBLE_WRITE, score 0.2, auto-approved (a
 *       stricter policy with autoApproveMaxScore 0.15 sends them to people);
 *   <li>C, 6 × {@code file.write} by agent-files with confidence 0.45 and 3 systems: score 0.4
 *       (trigger confidence-below-0.5), sent to people (a looser policy with autoApproveMaxScore
 *       0.45 auto-approves them); carol decides them: c-0..c-2 REJECTED, c-3 MODIFIED, c-4 and
 *       c-5 APPROVED;
 *   <li>D, 6 × {@code payment.create} by agent-pay with 4 systems: IRREVERSIBLE (trigger
 *       many-systems), sent to people under every variant; sam decides d-0..d-3 APPROVED, d-4
 *       REJECTED; d-5 TIMED_OUT. rita votes APPROVE twice on each (2 s on card, two without a
 *       time), tom 10 times APPROVE with 8 s on card.
 * </ul>
 *
 * The 11 human decisions come 1, 2, …, 11 minutes after their request (C first, then D).
 */
public final class History {

    /** When the first action is proposed; action i is proposed i × 10 minutes later. */
    public static final Instant START = Instant.parse("2026-03-01T09:00:00Z");

    public static final int ACTIONS = 30;
    public static final int AUTO_APPROVED = 18;
    public static final int SENT_TO_HUMANS = 12;
    /** Stricter: B moves to human review. */
    public static final int STRICTER_TO_HUMAN_REVIEW = 8;
    /** Looser: C moves to auto-approval, of which c-0..c-3 people rejected or modified. */
    public static final int LOOSER_TO_AUTO_APPROVAL = 6;

    public static final List<String> REJECTED_OR_MODIFIED_C = List.of("c-0", "c-1", "c-2", "c-3");

    private History() {}

    /**
     * @param text the default policy's YAML
     * @return the stricter variant: autoApproveMaxScore 0.15 (and low-trust 0.1)
     */
    public static String stricter(final String text) {
        return replace(
                replace(text, "autoApproveMaxScore: 0.35", "autoApproveMaxScore: 0.15"),
                "lowTrustAutoApproveMaxScore: 0.2",
                "lowTrustAutoApproveMaxScore: 0.1");
    }

    /**
     * @param text the default policy's YAML
     * @return the looser variant: autoApproveMaxScore 0.45
     */
    public static String looser(final String text) {
        return replace(text, "autoApproveMaxScore: 0.35", "autoApproveMaxScore: 0.45");
    }

    private static String replace(final String text, final String from, final String to) {
        if (!text.contains(from)) {
            throw new IllegalStateException("the default policy no longer contains '" + from + "'");
        }
        return text.replace(from, to);
    }

    /**
     * @param topics where the records go
     * @return the input records, action by action
     */
    public static List<AuditFixtures.Input> build(final TopicCatalogue topics) {
        final PolicyEvaluator evaluator = new PolicyEvaluator(DefaultPolicy.load());
        final List<AuditFixtures.Input> out = new ArrayList<>();
        int index = 0;
        int wait = 1;
        for (int i = 0; i < 10; i++, index++) {
            final ProposedAction a = action(
                    "a-" + i,
                    "agent-search",
                    "search.query",
                    "web",
                    "{\"q\":\"audit " + i + "\"}",
                    null,
                    0.9,
                    List.of("search"),
                    index);
            classifyAndAutoApprove(topics, evaluator, out, a);
        }
        for (int i = 0; i < 8; i++, index++) {
            final ProposedAction a = action(
                    "b-" + i,
                    "agent-files",
                    "file.write",
                    "fs",
                    "{\"path\":\"/srv/app/b-" + i + ".txt\",\"text\":\"a, \\\"quoted\\\" line\\nand another\"}",
                    null,
                    0.9,
                    List.of("files"),
                    index);
            classifyAndAutoApprove(topics, evaluator, out, a);
        }
        final Outcome[] cOutcomes = {
            Outcome.REJECTED, Outcome.REJECTED, Outcome.REJECTED, Outcome.MODIFIED, Outcome.APPROVED, Outcome.APPROVED
        };
        for (int i = 0; i < 6; i++, index++) {
            final ProposedAction a = action(
                    "c-" + i,
                    "agent-files",
                    "file.write",
                    "fs",
                    "{\"path\":\"/srv/app/c-" + i + ".txt\"}",
                    null,
                    0.45,
                    List.of("files", "backup", "search"),
                    index);
            final ApprovalRequest request = pendAndRequest(topics, evaluator, out, a);
            final Instant decidedAt = request.getRequestedAt().plus(Duration.ofMinutes(wait++));
            out.add(vote(topics, a, "carol@example.com", verdict(cOutcomes[i]), decidedAt.minusSeconds(1), 30_000L));
            out.add(decision(topics, a, cOutcomes[i], "carol@example.com", decidedAt));
        }
        for (int i = 0; i < 6; i++, index++) {
            final ProposedAction a = action(
                    "d-" + i,
                    "agent-pay",
                    "payment.create",
                    "payments",
                    "{\"amount\":\"12.50\",\"to\":\"ACME <b>Ltd</b>\"}",
                    new BigDecimal("12.500000000"),
                    0.9,
                    List.of("billing", "ledger", "crm", "mail"),
                    index);
            final ApprovalRequest request = pendAndRequest(topics, evaluator, out, a);
            final Instant at = request.getRequestedAt();
            out.add(vote(topics, a, "rita@example.com", Verdict.APPROVE, at.plusSeconds(3), i < 5 ? 2_000L : null));
            out.add(vote(topics, a, "rita@example.com", Verdict.APPROVE, at.plusSeconds(4), i < 5 ? 2_000L : null));
            if (i < 5) {
                out.add(vote(topics, a, "tom@example.com", Verdict.APPROVE, at.plusSeconds(5), 8_000L));
                out.add(vote(topics, a, "tom@example.com", Verdict.APPROVE, at.plusSeconds(6), 8_000L));
            }
            if (i < 5) {
                final Outcome outcome = i < 4 ? Outcome.APPROVED : Outcome.REJECTED;
                final Instant decidedAt = at.plus(Duration.ofMinutes(wait++));
                out.add(vote(topics, a, "sam@example.com", verdict(outcome), decidedAt.minusSeconds(1), 20_000L));
                out.add(decision(topics, a, outcome, "sam@example.com", decidedAt));
            } else {
                out.add(decision(
                        topics,
                        a,
                        Outcome.TIMED_OUT,
                        "service:deadline",
                        a.getProposedAt().plus(Duration.ofHours(2))));
            }
        }
        return out;
    }

    private static Verdict verdict(final Outcome outcome) {
        return switch (outcome) {
            case APPROVED -> Verdict.APPROVE;
            case MODIFIED -> Verdict.MODIFY;
            default -> Verdict.REJECT;
        };
    }

    private static ProposedAction action(
            final String id,
            final String agent,
            final String type,
            final String tool,
            final String arguments,
            final BigDecimal cost,
            final double confidence,
            final List<String> systems,
            final int index) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(agent)
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool(tool)
                .setTarget("<script>alert('" + id + "')</script>")
                .setArguments(arguments)
                .setEstimatedCost(cost == null ? null : new Money(cost, "EUR"))
                .setConfidence(confidence)
                .setSystemsAffected(systems)
                .setInputTrust(InputTrust.USER)
                .setContext(
                        ActionContext.newBuilder().setUserRequest("do " + id).build())
                .setProposedAt(START.plus(Duration.ofMinutes(10L * index)))
                .build();
    }

    private static RiskAssessment assess(final PolicyEvaluator evaluator, final ProposedAction a) {
        return evaluator
                .evaluate(a, Optional.empty())
                .toAssessment(a.getProposedAt().plusMillis(5));
    }

    private static void classifyAndAutoApprove(
            final TopicCatalogue topics,
            final PolicyEvaluator evaluator,
            final List<AuditFixtures.Input> out,
            final ProposedAction a) {
        out.add(new AuditFixtures.Input(topics.actionsProposed().name(), a.getActionId(), a));
        final ClassifiedAction c = new ClassifiedAction(a, assess(evaluator, a));
        out.add(new AuditFixtures.Input(topics.actionsAutoApproved().name(), a.getActionId(), c));
        out.add(decision(
                topics,
                a,
                Outcome.AUTO_APPROVED,
                "policy:auto",
                a.getProposedAt().plusMillis(7)));
    }

    private static ApprovalRequest pendAndRequest(
            final TopicCatalogue topics,
            final PolicyEvaluator evaluator,
            final List<AuditFixtures.Input> out,
            final ProposedAction a) {
        out.add(new AuditFixtures.Input(topics.actionsProposed().name(), a.getActionId(), a));
        final ClassifiedAction c = new ClassifiedAction(a, assess(evaluator, a));
        out.add(new AuditFixtures.Input(topics.approvalsPending().name(), a.getActionId(), c));
        final ApprovalRequest request = AuditFixtures.request(c);
        out.add(new AuditFixtures.Input(topics.approvalsRequests().name(), a.getActionId(), request));
        return request;
    }

    private static AuditFixtures.Input vote(
            final TopicCatalogue topics,
            final ProposedAction a,
            final String approver,
            final Verdict verdict,
            final Instant at,
            final Long timeOnCard) {
        final Vote vote = Vote.newBuilder()
                .setVoteId(a.getActionId() + "-" + approver + "-" + at.toEpochMilli())
                .setActionId(a.getActionId())
                .setApprover(approver)
                .setGroups(List.of("reviewers"))
                .setVerdict(verdict)
                .setModifiedArguments(verdict == Verdict.MODIFY ? "{\"path\":\"/srv/app/safe.txt\"}" : null)
                .setReason(verdict == Verdict.APPROVE ? null : "not like this")
                .setVotedAt(at)
                .setTimeOnCardMillis(timeOnCard)
                .build();
        return new AuditFixtures.Input(topics.approvalsVotes().name(), a.getActionId(), vote);
    }

    private static AuditFixtures.Input decision(
            final TopicCatalogue topics,
            final ProposedAction a,
            final Outcome outcome,
            final String decidedBy,
            final Instant at) {
        final boolean human = decidedBy.contains("@");
        final boolean runs = outcome == Outcome.APPROVED || outcome == Outcome.AUTO_APPROVED;
        final Decision d = AuditFixtures.SIGNER.sign(Decision.newBuilder()
                .setActionId(a.getActionId())
                .setAgentId(a.getAgentId())
                .setActionType(a.getActionType())
                .setTool(a.getTool())
                .setTarget(a.getTarget())
                .setOutcome(outcome)
                .setFinalArguments(runs ? a.getArguments() : null)
                .setArgumentsHash(runs ? CanonicalJson.sha256(a.getArguments()) : null)
                .setApprovers(human ? List.of(decidedBy) : List.of())
                .setFeedback(
                        outcome == Outcome.REJECTED || outcome == Outcome.MODIFIED
                                ? new Feedback("not like this: " + a.getActionId(), "reviewer")
                                : null)
                .setDecidedBy(decidedBy)
                .setPolicyVersion("2026-11-28.1")
                .setDecidedAt(at)
                .build());
        return new AuditFixtures.Input(topics.decisions().name(), a.getAgentId(), d);
    }
}
