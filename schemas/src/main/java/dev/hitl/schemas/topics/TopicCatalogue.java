package dev.hitl.schemas.topics;

import dev.hitl.schemas.AgentControl;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.IgnoredVote;
import dev.hitl.schemas.PolicyDocument;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.RevokedSession;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The typed catalogue of every hitl topic. No service spells a topic name: each takes its topics
 * from here, with their key and value types.
 *
 * <p>Names are {@code <namespace>.<topic>}, with namespace {@value #DEFAULT_NAMESPACE} by default;
 * another namespace runs several hitl installations (or test runs) on one cluster.
 */
public final class TopicCatalogue {

    /** The namespace of a standard installation. */
    public static final String DEFAULT_NAMESPACE = "hitl";

    /** Partitions of the keyed work topics in a standard installation. */
    public static final int DEFAULT_PARTITIONS = 6;

    private static final Pattern LEGAL_NAMESPACE = Pattern.compile("[a-zA-Z0-9._-]{1,100}");
    private static final String DELETE = TopicConfig.CLEANUP_POLICY_DELETE;
    private static final String COMPACT = TopicConfig.CLEANUP_POLICY_COMPACT;

    private final String namespace;
    private final Topic<String, ProposedAction> actionsProposed;
    private final Topic<String, ClassifiedAction> actionsAutoApproved;
    private final Topic<String, ClassifiedAction> approvalsPending;
    private final Topic<String, ApprovalRequest> approvalsRequests;
    private final Topic<String, Vote> approvalsVotes;
    private final Topic<String, IgnoredVote> approvalsIgnoredVotes;
    private final Topic<String, RevokedSession> approvalsRevokedSessions;
    private final Topic<String, Reminder> approvalsReminders;
    private final Topic<String, Decision> decisions;
    private final Topic<String, SpotCheck> spotChecks;
    private final Topic<String, SpotCheckAnswer> spotCheckAnswers;
    private final Topic<String, AgentControl> agentsControl;
    private final Topic<String, AgentRegistration> agentsRegistry;
    private final Topic<String, VoterRegistration> votersRegistry;
    private final Topic<String, PolicyDocument> policy;
    private final Topic<String, TrustStats> trust;
    private final Topic<String, AuditRecord> auditLog;
    private final Topic<String, AuditCheckpoint> auditCheckpoints;
    private final Topic<byte[], byte[]> deadLetters;

    /**
     * @param namespace prefix of every topic name, e.g. {@code hitl}
     * @param partitions partitions of every keyed topic (the policy topic has one)
     */
    public TopicCatalogue(final String namespace, final int partitions) {
        if (namespace == null || !LEGAL_NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("topic namespace '" + namespace
                    + "' must be 1 to 100 letters, digits, dots, dashes or underscores");
        }
        this.namespace = namespace;
        final Map<String, String> week = retained(Duration.ofDays(7));
        final Map<String, String> month = retained(Duration.ofDays(30));
        actionsProposed = topic(
                "actions.proposed", ProposedAction.class, partitions, week, "Actions agents propose, before they run.");
        actionsAutoApproved = topic(
                "actions.auto-approved",
                ClassifiedAction.class,
                partitions,
                week,
                "Actions the classifier approved without a human; executors run them.");
        approvalsPending = topic(
                "approvals.pending",
                ClassifiedAction.class,
                partitions,
                week,
                "Actions that need a human, with their risk assessment.");
        approvalsRequests = topic(
                "approvals.requests",
                ApprovalRequest.class,
                partitions,
                week,
                "Approval requests per stage and escalation level, for reviewers.");
        approvalsVotes = topic(
                "approvals.votes",
                Vote.class,
                partitions,
                week,
                "Reviewers' votes, each signed by its registered voter.");
        approvalsIgnoredVotes = topic(
                "approvals.ignored-votes",
                IgnoredVote.class,
                partitions,
                month,
                "Votes the escalation service did not count, and why; the audit log records them.");
        approvalsReminders = topic(
                "approvals.reminders",
                Reminder.class,
                partitions,
                week,
                "Reminders to reviewer groups of requests still open as their deadline nears, once per request and"
                        + " reminder; notifiers deliver them.");
        approvalsRevokedSessions = topic(
                "approvals.revoked-sessions",
                RevokedSession.class,
                1,
                // Every key is a unique token id: compaction alone would keep every sign-out forever.
                // Deleted after two days, far longer than any session token lives.
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        COMPACT + "," + DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        String.valueOf(Duration.ofDays(2).toMillis()),
                        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                        "0"),
                "Reviewers' session tokens signed out before they expired; every approval-service instance refuses"
                        + " them until they expire.");
        decisions = topic(
                "decisions", Decision.class, partitions, month, "The one final decision per action, keyed by agentId.");
        spotChecks = topic(
                "spotchecks",
                SpotCheck.class,
                partitions,
                month,
                "Auto-approved actions sampled for a non-blocking review (\"should this have been auto-approved?\");"
                        + " never a second decision of the action.");
        spotCheckAnswers = topic(
                "spotchecks.answers",
                SpotCheckAnswer.class,
                partitions,
                month,
                "Reviewers' answers to spot checks, each signed by its registered voter.");
        agentsControl = topic(
                "agents.control",
                AgentControl.class,
                partitions,
                compacted(),
                "Whether each agent is active or halted; latest wins.");
        agentsRegistry = topic(
                "agents.registry",
                AgentRegistration.class,
                1,
                compacted(),
                "The registered agents: credential ids (never secrets), owners, permissions, status; written"
                        + " only through the operators' API; latest wins.");
        votersRegistry = topic(
                "voters.registry",
                VoterRegistration.class,
                1,
                compacted(),
                "The registered voters (the approval service, reviewer apps): public keys (never secrets) and the"
                        + " groups and reviewers each may vote for; written only through the operators' API; latest"
                        + " wins.");
        policy = topic(
                "policy",
                PolicyDocument.class,
                1,
                compacted(),
                "Published policy versions, keyed by policy name; latest wins.");
        trust = topic(
                "trust",
                TrustStats.class,
                partitions,
                compacted(),
                "Each agent's track record per action type; latest wins.");
        auditLog = topic(
                "audit.log",
                AuditRecord.class,
                partitions,
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        "-1",
                        TopicConfig.RETENTION_BYTES_CONFIG,
                        "-1"),
                Set.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.RETENTION_MS_CONFIG,
                        TopicConfig.RETENTION_BYTES_CONFIG),
                "The immutable, hash-chained audit log: never deleted, never compacted.");
        auditCheckpoints = topic(
                "audit.checkpoints",
                AuditCheckpoint.class,
                1,
                Map.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        DELETE,
                        TopicConfig.RETENTION_MS_CONFIG,
                        "-1",
                        TopicConfig.RETENTION_BYTES_CONFIG,
                        "-1"),
                Set.of(
                        TopicConfig.CLEANUP_POLICY_CONFIG,
                        TopicConfig.RETENTION_MS_CONFIG,
                        TopicConfig.RETENTION_BYTES_CONFIG),
                "Signed checkpoints of the audit log's chain heads (key: partition number): never deleted, never"
                        + " compacted.");
        deadLetters = new Topic<>(
                namespace + ".dlq",
                byte[].class,
                byte[].class,
                partitions,
                month,
                Set.of(TopicConfig.CLEANUP_POLICY_CONFIG),
                "Records no service could read: original key and value bytes, the error in headers.");
    }

    /** @return the catalogue of a standard installation: namespace {@code hitl}, 6 partitions */
    public static TopicCatalogue standard() {
        return new TopicCatalogue(DEFAULT_NAMESPACE, DEFAULT_PARTITIONS);
    }

    /** @return the namespace every topic name starts with */
    public String namespace() {
        return namespace;
    }

    /** @return proposals from agents (key: actionId) */
    public Topic<String, ProposedAction> actionsProposed() {
        return actionsProposed;
    }

    /** @return auto-approved actions for executors (key: actionId) */
    public Topic<String, ClassifiedAction> actionsAutoApproved() {
        return actionsAutoApproved;
    }

    /** @return actions waiting for a human (key: actionId) */
    public Topic<String, ClassifiedAction> approvalsPending() {
        return approvalsPending;
    }

    /** @return approval requests for reviewers (key: actionId) */
    public Topic<String, ApprovalRequest> approvalsRequests() {
        return approvalsRequests;
    }

    /** @return reviewers' votes (key: actionId) */
    public Topic<String, Vote> approvalsVotes() {
        return approvalsVotes;
    }

    /** @return votes the escalation service did not count, with the reason (key: actionId) */
    public Topic<String, IgnoredVote> approvalsIgnoredVotes() {
        return approvalsIgnoredVotes;
    }

    /**
     * @return reminders of open requests, written by the escalation service once per request and
     *     reminder (key: actionId)
     */
    public Topic<String, Reminder> approvalsReminders() {
        return approvalsReminders;
    }

    /** @return signed-out session tokens, compacted, one partition (key: the token's jti) */
    public Topic<String, RevokedSession> approvalsRevokedSessions() {
        return approvalsRevokedSessions;
    }

    /** @return final decisions (key: agentId) */
    public Topic<String, Decision> decisions() {
        return decisions;
    }

    /**
     * @return auto-approved actions sampled for a spot check, written by the classifier in the
     *     transaction of their decision (key: actionId)
     */
    public Topic<String, SpotCheck> spotChecks() {
        return spotChecks;
    }

    /** @return reviewers' answers to spot checks, signed by their voters (key: actionId) */
    public Topic<String, SpotCheckAnswer> spotCheckAnswers() {
        return spotCheckAnswers;
    }

    /** @return agent control state, compacted (key: agentId) */
    public Topic<String, AgentControl> agentsControl() {
        return agentsControl;
    }

    /** @return the agent registry (key: agentId, compacted, one partition) */
    public Topic<String, AgentRegistration> agentsRegistry() {
        return agentsRegistry;
    }

    /** @return the voter registry (key: voterId, compacted, one partition) */
    public Topic<String, VoterRegistration> votersRegistry() {
        return votersRegistry;
    }

    /** @return published policies, compacted (key: policy name) */
    public Topic<String, PolicyDocument> policy() {
        return policy;
    }

    /** @return track records, compacted (key: agentId and actionType, see {@link #trustKey}) */
    public Topic<String, TrustStats> trust() {
        return trust;
    }

    /** @return the audit log, kept forever (key: actionId) */
    public Topic<String, AuditRecord> auditLog() {
        return auditLog;
    }

    /** @return the audit service's signed checkpoints of the audit log's chain heads (key: partition number) */
    public Topic<String, AuditCheckpoint> auditCheckpoints() {
        return auditCheckpoints;
    }

    /** @return the dead-letter topic (original key and value bytes) */
    public Topic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /** @return every topic, inputs first */
    public List<Topic<?, ?>> all() {
        return List.of(
                actionsProposed,
                actionsAutoApproved,
                approvalsPending,
                approvalsRequests,
                approvalsVotes,
                approvalsIgnoredVotes,
                approvalsReminders,
                approvalsRevokedSessions,
                decisions,
                spotChecks,
                spotCheckAnswers,
                agentsControl,
                agentsRegistry,
                votersRegistry,
                policy,
                trust,
                auditLog,
                auditCheckpoints,
                deadLetters);
    }

    /**
     * @param agentId the agent
     * @param actionType the action type
     * @return the key of their record on {@link #trust()}: {@code agentId + '|' + actionType}
     */
    public static String trustKey(final String agentId, final String actionType) {
        return agentId + "|" + actionType;
    }

    private <V> Topic<String, V> topic(
            final String suffix,
            final Class<V> valueType,
            final int partitions,
            final Map<String, String> config,
            final String description) {
        return topic(suffix, valueType, partitions, config, Set.of(TopicConfig.CLEANUP_POLICY_CONFIG), description);
    }

    private <V> Topic<String, V> topic(
            final String suffix,
            final Class<V> valueType,
            final int partitions,
            final Map<String, String> config,
            final Set<String> enforced,
            final String description) {
        return new Topic<>(
                namespace + "." + suffix, String.class, valueType, partitions, config, enforced, description);
    }

    private static Map<String, String> retained(final Duration retention) {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                DELETE,
                TopicConfig.RETENTION_MS_CONFIG,
                String.valueOf(retention.toMillis()));
    }

    private static Map<String, String> compacted() {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG,
                COMPACT,
                TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG,
                String.valueOf(Duration.ofMinutes(1).toMillis()));
    }
}
