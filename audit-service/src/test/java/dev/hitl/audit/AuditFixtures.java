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
import dev.hitl.schemas.IgnoredVote;
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
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.VoteSigner;
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

    /** Signs as the deciders do, with the development key ({@link DevelopmentKeys}). */
    public static final DecisionSigner SIGNER = new DecisionSigner(DevelopmentKeys.privateKey());

    /** The voter the approval service is registered as. */
    public static final String VOTER_ID = "approval-service";

    /** Signs votes as the approval service does, with the development voter key. */
    public static final VoteSigner VOTE_SIGNER = new VoteSigner(VOTER_ID, DevelopmentKeys.voterKey());

    /** The arguments of {@link #proposed}. */
    public static final String ARGUMENTS = "{\"amount\":\"12.50\",\"to\":\"ACME \\\"Ltd\\\"\",\"note\":\"ünïcode ✓\"}";

    private AuditFixtures() {}

    public static ProposedAction proposed(final String actionId, final String agentId, final Instant at) {
        return ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setOnBehalfOf("alice@example.com")
                .setActionType("payment.create")
                .setTool("payments")
                .setTarget("invoice/" + actionId)
                .setArguments(ARGUMENTS)
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

    /** {@link #vote}, signed by the approval service's voter ({@link #VOTE_SIGNER}). */
    public static Vote signedVote(final String actionId, final String approver, final Instant at) {
        return VOTE_SIGNER.sign(vote(actionId, approver, at));
    }

    /**
     * A vote the escalation service did not count, as it records one.
     *
     * @param vote the vote
     * @param agentId the action's agent, or null
     * @param category why, in one word
     * @param reason why, in a sentence
     * @param at when it was ignored
     * @return the ignored vote
     */
    public static IgnoredVote ignored(
            final Vote vote, final String agentId, final String category, final String reason, final Instant at) {
        return IgnoredVote.newBuilder()
                .setVoteId(vote.getVoteId())
                .setActionId(vote.getActionId())
                .setAgentId(agentId)
                .setVoterId(vote.getVoterId())
                .setApprover(vote.getApprover())
                .setGroups(new ArrayList<>(vote.getGroups()))
                .setVerdict(vote.getVerdict())
                .setCategory(category)
                .setReason(reason)
                .setVotedAt(vote.getVotedAt())
                .setIgnoredAt(at)
                .build();
    }

    /** The approval service's voter registration (the development voter key), made by an operator. */
    public static VoterRegistration voter(final String changedBy, final Instant at) {
        return VoterRegistration.newBuilder()
                .setVoterId(VOTER_ID)
                .setDescription("the approval service")
                .setPublicKeys(List.of(VOTE_SIGNER.voterKey()))
                .setAllowedGroups(List.of("finance-*", "ops"))
                .setAllowedReviewers(List.of("*@example.com"))
                .setStatus(VoterStatus.ACTIVE)
                .setReason("registered at install")
                .setChangedBy(changedBy)
                .setChangedAt(at)
                .build();
    }

    /** A decision on an action of {@link #proposed}, signed with the development key. */
    public static Decision decision(
            final String actionId, final String agentId, final Outcome outcome, final Instant at) {
        final boolean runs = outcome == Outcome.AUTO_APPROVED || outcome == Outcome.APPROVED;
        return SIGNER.sign(Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setActionType("payment.create")
                .setTool("payments")
                .setTarget("invoice/" + actionId)
                .setOutcome(outcome)
                .setFinalArguments(runs ? ARGUMENTS : null)
                .setArgumentsHash(runs ? CanonicalJson.sha256(ARGUMENTS) : null)
                .setApprovers(List.of("bob@example.com"))
                .setFeedback(new Feedback("fine", null))
                .setDecidedBy("bob@example.com")
                .setPolicyVersion("policy-v7")
                .setDecidedAt(at)
                .build());
    }

    /**
     * @param decision a decision
     * @return it as decisions were recorded before Ed25519: HmacSHA256 with the retired shared key's
     *     id and a MAC the audit cannot check (a literal legacy record)
     */
    public static Decision legacy(final Decision decision) {
        return Decision.newBuilder(decision)
                .setTool(null)
                .setTarget(null)
                .setProposalHash(null)
                .setSignatureKeyId("hitl-1")
                .setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM)
                .setSignature("q1JX3yKJ1B0m9Vg5b4L8c8GgNQ0y2b0Zr7yQk0J3kpE=")
                .build();
    }

    /** The arguments carol approves instead of {@link #ARGUMENTS} in {@link #modification}. */
    public static final String MODIFIED_ARGUMENTS =
            "{\"amount\":\"10.00\",\"to\":\"<b>ACME</b>\",\"note\":\"ünïcode ✓\"}";

    /**
     * The life of one action that a reviewer modifies: proposal, classification, the request of
     * version 0, carol's MODIFY vote, the request of version 1 (her arguments, their hash and diff,
     * naming her and her reason), dan's approval of version 1 and the MODIFIED decision.
     *
     * @param topics the topic catalogue
     * @param actionId the action
     * @param at when it is proposed
     * @return the input records, in order
     */
    public static List<Input> modification(final TopicCatalogue topics, final String actionId, final Instant at) {
        final String agent = "agent-1";
        final ProposedAction action = proposed(actionId, agent, at);
        final ClassifiedAction classified = classified(action, RiskClass.IRREVERSIBLE);
        final ApprovalRequest first = request(classified);
        final String hash = CanonicalJson.sha256(MODIFIED_ARGUMENTS);
        final Vote modify = Vote.newBuilder(vote(actionId, "carol@example.com", at.plusSeconds(60)))
                .setVerdict(Verdict.MODIFY)
                .setModifiedArguments(MODIFIED_ARGUMENTS)
                .setReason("pay the net amount only")
                .setRequestId(first.getRequestId())
                .setArgumentsHash(CanonicalJson.sha256(ARGUMENTS))
                .build();
        final ApprovalRequest second = ApprovalRequest.newBuilder(first)
                .setRequestId(actionId + "-0-0-v1")
                .setActionVersion(1)
                .setArguments(MODIFIED_ARGUMENTS)
                .setArgumentsHash(hash)
                .setArgumentsDiff(ArgumentsDiff.between(ARGUMENTS, MODIFIED_ARGUMENTS))
                .setModifiedBy("carol@example.com")
                .setModificationReason("pay the net amount only")
                .setRequestedAt(at.plusSeconds(61))
                .setDeadline(at.plusSeconds(3661))
                .build();
        final Vote approve = Vote.newBuilder(vote(actionId, "dan@example.com", at.plusSeconds(120)))
                .setVoteId(actionId + "-dan-v1")
                .setRequestId(second.getRequestId())
                .setActionVersion(1)
                .setArgumentsHash(hash)
                .build();
        final Decision decision =
                SIGNER.sign(Decision.newBuilder(decision(actionId, agent, Outcome.MODIFIED, at.plusSeconds(121)))
                        .setFinalArguments(MODIFIED_ARGUMENTS)
                        .setArgumentsHash(hash)
                        .setApprovers(List.of("carol@example.com", "dan@example.com"))
                        .setFeedback(new Feedback("pay the net amount only", "reviewer"))
                        .setDecidedBy("reviewers")
                        .build());
        return List.of(
                new Input(topics.actionsProposed().name(), actionId, action),
                new Input(topics.approvalsPending().name(), actionId, classified),
                new Input(topics.approvalsRequests().name(), actionId, first),
                new Input(topics.approvalsVotes().name(), actionId, modify),
                new Input(topics.approvalsRequests().name(), actionId, second),
                new Input(topics.approvalsVotes().name(), actionId, approve),
                new Input(topics.decisions().name(), agent, decision));
    }

    /** The reason the escalation service gives for {@link #ignoredVotes}' forged vote. */
    public static final String UNSIGNED_REASON = "unauthenticated: not signed by a voter";

    /**
     * An action with votes that did not count: a vote as carol written without a voter key is ignored
     * as unauthenticated; bob's signed approval decides it; dan's signed approval after the decision
     * is ignored as late (in the same millisecond). Each ignored vote is on the votes topic and, with
     * its reason, on the ignored-votes topic.
     *
     * @param topics the topic catalogue
     * @param actionId the action
     * @param at when it is proposed
     * @return the input records, in order
     */
    public static List<Input> ignoredVotes(final TopicCatalogue topics, final String actionId, final Instant at) {
        final String agent = "agent-1";
        final ProposedAction action = proposed(actionId, agent, at);
        final ClassifiedAction classified = classified(action, RiskClass.IRREVERSIBLE);
        final Instant votedAt = at.plusSeconds(60);
        final Vote forged = Vote.newBuilder(vote(actionId, "carol@example.com", votedAt))
                .setVoteId(actionId + "-forged")
                .setTimeOnCardMillis(900L)
                .build();
        final Vote bob = signedVote(actionId, "bob@example.com", at.plusSeconds(90));
        final Vote late = signedVote(actionId, "dan@example.com", at.plusSeconds(120));
        return List.of(
                new Input(topics.actionsProposed().name(), actionId, action),
                new Input(topics.approvalsPending().name(), actionId, classified),
                new Input(topics.approvalsRequests().name(), actionId, request(classified)),
                new Input(topics.approvalsVotes().name(), actionId, forged),
                new Input(
                        topics.approvalsIgnoredVotes().name(),
                        actionId,
                        ignored(forged, agent, "unauthenticated", UNSIGNED_REASON, votedAt.plusMillis(5))),
                new Input(topics.approvalsVotes().name(), actionId, bob),
                new Input(
                        topics.decisions().name(),
                        agent,
                        decision(actionId, agent, Outcome.APPROVED, at.plusSeconds(91))),
                new Input(topics.approvalsVotes().name(), actionId, late),
                new Input(
                        topics.approvalsIgnoredVotes().name(),
                        actionId,
                        ignored(late, agent, "late", "late: the action was already decided", at.plusSeconds(120))));
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
     * and a vote signed by the approval service's voter), a decision; every ten actions one forged
     * (unsigned) vote and its record as ignored, one agent-control, one voter-registry and one policy
     * event.
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
                out.add(new Input(
                        topics.approvalsVotes().name(), id, signedVote(id, "bob@example.com", at.plusMillis(500))));
                if (i % 10 == 4) {
                    // someone with write access to the votes topic but no voter key votes as carol
                    final Vote forged = Vote.newBuilder(vote(id, "carol@example.com", at.plusMillis(400)))
                            .setVoteId(id + "-forged")
                            .build();
                    out.add(new Input(topics.approvalsVotes().name(), id, forged));
                    out.add(new Input(
                            topics.approvalsIgnoredVotes().name(),
                            id,
                            ignored(
                                    forged,
                                    agent,
                                    "unauthenticated",
                                    "unauthenticated: not signed by a voter",
                                    at.plusMillis(410))));
                }
                out.add(new Input(
                        topics.decisions().name(), agent, decision(id, agent, Outcome.APPROVED, at.plusMillis(600))));
            }
            if (i % 10 == 9) {
                out.add(new Input(topics.agentsControl().name(), agent, halt(agent, id, at.plusMillis(700))));
                out.add(new Input(
                        topics.votersRegistry().name(), VOTER_ID, voter("operator:" + prefix, at.plusMillis(800))));
                out.add(new Input(topics.policy().name(), "default", policy("default", prefix + "-v" + i, at)));
            }
        }
        return out;
    }
}
