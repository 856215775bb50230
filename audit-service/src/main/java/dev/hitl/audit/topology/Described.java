package dev.hitl.audit.topology;

import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import java.time.Instant;

/**
 * What the audit log says about one source record: its audit key (the key on {@code
 * hitl.audit.log}, which picks the chain), event type, who and when.
 *
 * @param auditKey actionId for action events (ignored votes too), agentId for agent control and
 *     registrations, voterId for voter registrations, the policy name for policy
 * @param eventType the event type
 * @param actionId the action, or null
 * @param agentId the agent, or null
 * @param actor who caused the event
 * @param occurredAt the event's own timestamp
 * @param policyVersion the policy version, or null
 */
public record Described(
        String auditKey,
        String eventType,
        String actionId,
        String agentId,
        String actor,
        Instant occurredAt,
        String policyVersion) {

    /** The actor of classifications (auto-approved and pending actions). */
    public static final String CLASSIFIER = "service:classifier";
    /** The actor of approval requests of the agent's own proposal (version 0). */
    public static final String ESCALATION = "service:escalation";
    /** The actor of an ignored vote that names neither a reviewer nor a voter. */
    public static final String UNKNOWN = "unknown";

    static Described proposed(final ProposedAction a) {
        return new Described(
                a.getActionId(), "PROPOSED", a.getActionId(), a.getAgentId(), a.getAgentId(), a.getProposedAt(), null);
    }

    static Described autoApproved(final ClassifiedAction c) {
        return classified("AUTO_APPROVED", c);
    }

    static Described pending(final ClassifiedAction c) {
        return classified("PENDING", c);
    }

    private static Described classified(final String type, final ClassifiedAction c) {
        final ProposedAction a = c.getAction();
        return new Described(
                a.getActionId(),
                type,
                a.getActionId(),
                a.getAgentId(),
                CLASSIFIER,
                c.getAssessment().getAssessedAt(),
                c.getAssessment().getPolicyVersion());
    }

    /**
     * A request for the agent's proposal (version 0) is the escalation service's doing; a request for
     * a later version is the doing of the reviewer whose modification made that version, so the
     * record's actor names them ({@code modifiedBy}).
     */
    static Described requested(final ApprovalRequest r) {
        final ProposedAction a = r.getAction();
        final boolean modified = r.getActionVersion() > 0
                && r.getModifiedBy() != null
                && !r.getModifiedBy().isEmpty();
        return new Described(
                a.getActionId(),
                "REQUESTED",
                a.getActionId(),
                a.getAgentId(),
                modified ? r.getModifiedBy() : ESCALATION,
                r.getRequestedAt(),
                r.getAssessment().getPolicyVersion());
    }

    static Described voted(final Vote v) {
        return new Described(v.getActionId(), "VOTED", v.getActionId(), null, v.getApprover(), v.getVotedAt(), null);
    }

    /**
     * A vote the escalation service did not count, on the action's chain next to the vote itself.
     * Its actor is whom the vote named: the reviewer, else the voter, else {@value #UNKNOWN} (for an
     * unauthenticated vote these names are unverified, which the payload's category says). It
     * happened when the escalation service ignored the vote.
     */
    static Described voteIgnored(final IgnoredVote v) {
        final String actor =
                present(v.getApprover()) ? v.getApprover() : present(v.getVoterId()) ? v.getVoterId() : UNKNOWN;
        return new Described(
                v.getActionId(), "VOTE_IGNORED", v.getActionId(), v.getAgentId(), actor, v.getIgnoredAt(), null);
    }

    static Described decided(final Decision d) {
        return new Described(
                d.getActionId(),
                "DECIDED",
                d.getActionId(),
                d.getAgentId(),
                d.getDecidedBy(),
                d.getDecidedAt(),
                d.getPolicyVersion());
    }

    /** A spot check the classifier opened on an auto-approved action, at the time it was sampled. */
    static Described spotCheck(final SpotCheck s) {
        return new Described(
                s.getActionId(),
                "SPOT_CHECK",
                s.getActionId(),
                s.getAgentId(),
                CLASSIFIER,
                s.getSampledAt(),
                s.getPolicyVersion());
    }

    /**
     * A reviewer's answer to a spot check, under the reviewer it names (the audit service records
     * it as written; the classifier decides whether it counts).
     */
    static Described spotCheckAnswered(final SpotCheckAnswer a) {
        return new Described(
                a.getActionId(),
                "SPOT_CHECK_ANSWERED",
                a.getActionId(),
                null,
                present(a.getReviewer()) ? a.getReviewer() : UNKNOWN,
                a.getAnsweredAt(),
                null);
    }

    static Described agentControl(final AgentControl c) {
        return new Described(
                c.getAgentId(), "AGENT_CONTROL", c.getActionId(), c.getAgentId(), c.getActor(), c.getChangedAt(), null);
    }

    static Described agentRegistered(final AgentRegistration r) {
        return new Described(
                r.getAgentId(), "AGENT_REGISTRY", null, r.getAgentId(), r.getChangedBy(), r.getChangedAt(), null);
    }

    static Described voterRegistered(final VoterRegistration r) {
        return new Described(r.getVoterId(), "VOTER_REGISTRY", null, null, r.getChangedBy(), r.getChangedAt(), null);
    }

    static Described policyPublished(final PolicyDocument p) {
        return new Described(
                p.getName(), "POLICY_PUBLISHED", null, null, p.getPublishedBy(), p.getPublishedAt(), p.getVersion());
    }

    private static boolean present(final String value) {
        return value != null && !value.isBlank();
    }
}
