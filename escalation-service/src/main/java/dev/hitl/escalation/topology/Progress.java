package dev.hitl.escalation.topology;

import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.Trigger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Where one action waiting for humans stands: its route at the current escalation level, the
 * current version of its arguments, each stage's approvals of that version, the deadline, and
 * whether it is decided. Kept in a changelogged store (JSON), so a restarted or moved task resumes
 * exactly here. Components added later read as their defaults from state written before them.
 *
 * @param actionId the action
 * @param agentId its agent
 * @param onBehalfOf the human the agent acts for, who may not approve
 * @param policyVersion the policy version that routed it (or checked its latest modification)
 * @param tier the tier at this level
 * @param routeName the policy route at this level
 * @param mode SEQUENTIAL or PARALLEL
 * @param level the escalation level, from 0
 * @param stages the stages at this level, with their approvals of the current version
 * @param deadline epoch ms when this level times out
 * @param escalateTo the route to escalate to at the deadline, or null to time out
 * @param replyBy epoch ms the agent stops waiting, or 0
 * @param approvalValidForMillis how long an approval lets the action run
 * @param approvers everyone who approved the current version at this level, in order
 * @param decided whether the final decision is made
 * @param decidedAt epoch ms of the final decision, or 0
 * @param ignoredVotes the votes that did not count, each with its reason (the last {@value
 *     #MAX_IGNORED_VOTES})
 * @param version the version of the action: 0 is the agent's proposal, each modification makes the
 *     next
 * @param arguments the arguments of the current version as JSON text, or null for the agent's own
 * @param argumentsHash the canonical hash of the current version's arguments, or null (version 0 of
 *     state written before versions: the hash of the agent's arguments)
 * @param modifications each modification that made a version, in order
 * @param assessment the assessment of the current version once a modification changed it (the
 *     stricter of the classifier's and the modified version's), or null for the classifier's
 * @param requestTrace the W3C trace context ({@code traceparent}, {@code tracestate}) of the span
 *     that opened the current requests, which the decision's span links to; null in state written
 *     before traces, or when nothing traced it
 * @param remindAt the route's reminders at this level: ascending fractions of the time from {@code
 *     levelStartedAt} to {@code deadline}; empty for none (and in state written before reminders)
 * @param levelStartedAt epoch ms when this level and version began (its first request, an escalation,
 *     or a modification restarting the deadline); 0 in state written before reminders
 * @param reminded how many of {@code remindAt} have passed at this level and version (each reminded
 *     once, or skipped when a later one was already due)
 * @param modifiedArguments only in state written before versions existed: the arguments of a
 *     modification counted without the policy's check. Never written now; reading such state
 *     dismisses every approval it holds (see the compact constructor)
 */
public record Progress(
        String actionId,
        String agentId,
        String onBehalfOf,
        String policyVersion,
        String tier,
        String routeName,
        String mode,
        int level,
        List<StageProgress> stages,
        long deadline,
        String escalateTo,
        long replyBy,
        long approvalValidForMillis,
        List<String> approvers,
        boolean decided,
        long decidedAt,
        List<IgnoredVote> ignoredVotes,
        int version,
        String arguments,
        String argumentsHash,
        List<Modification> modifications,
        Assessment assessment,
        Map<String, String> requestTrace,
        List<Double> remindAt,
        long levelStartedAt,
        int reminded,
        String modifiedArguments) {

    /** How many ignored votes an action keeps. */
    public static final int MAX_IGNORED_VOTES = 50;

    /** Tolerates state written before ignored votes, versions and modifications were kept. */
    public Progress {
        stages = stages == null ? List.of() : List.copyOf(stages);
        approvers = approvers == null ? List.of() : List.copyOf(approvers);
        ignoredVotes = ignoredVotes == null ? List.of() : List.copyOf(ignoredVotes);
        modifications = modifications == null ? List.of() : List.copyOf(modifications);
        requestTrace = requestTrace == null || requestTrace.isEmpty() ? null : Map.copyOf(requestTrace);
        remindAt = remindAt == null ? List.of() : List.copyOf(remindAt);
        if (modifiedArguments != null && !decided) {
            // Written before versions: a modification was counted that the policy never checked and
            // the other stages never saw. Every approval is dismissed; the action is asked as proposed.
            stages = stages.stream().map(StageProgress::dismissed).toList();
            approvers = List.of();
        }
        modifiedArguments = null;
    }

    /**
     * @param voteId the vote
     * @param approver who cast it
     * @param reason why it did not count
     * @param at epoch ms when it was ignored
     */
    public record IgnoredVote(String voteId, String approver, String reason, long at) {}

    /**
     * One modification: the version it made.
     *
     * @param version the version made (from 1)
     * @param by the reviewer who modified
     * @param reason why, as they wrote it
     * @param argumentsHash the canonical hash of the version's arguments
     * @param at epoch ms of the modification
     */
    public record Modification(int version, String by, String reason, String argumentsHash, long at) {}

    /**
     * The assessment of a modified version: the stricter of the earlier version's and the modified
     * proposal's (class and score the higher, reasons, rules and triggers of both).
     *
     * @param riskClass the risk class
     * @param score the score
     * @param reasons why, for the reviewer
     * @param matchedRules the rules that matched either
     * @param triggers the triggers that fired on either
     * @param policyVersion the policy that evaluated the modification
     * @param assessedAt epoch ms of the evaluation
     */
    public record Assessment(
            String riskClass,
            double score,
            List<String> reasons,
            List<String> matchedRules,
            List<FiredTrigger> triggers,
            String policyVersion,
            long assessedAt) {

        /** Tolerates missing lists. */
        public Assessment {
            reasons = reasons == null ? List.of() : List.copyOf(reasons);
            matchedRules = matchedRules == null ? List.of() : List.copyOf(matchedRules);
            triggers = triggers == null ? List.of() : List.copyOf(triggers);
        }

        /**
         * @param name the trigger's id
         * @param value the value that fired it
         * @param threshold the bound it passed, or null
         * @param effect what it does
         */
        public record FiredTrigger(String name, String value, String threshold, String effect) {}

        RiskAssessment toRecord(final AutonomyLevel autonomyLevel) {
            return RiskAssessment.newBuilder()
                    .setRiskClass(RiskClass.valueOf(riskClass))
                    .setScore(score)
                    .setReasons(new ArrayList<>(reasons))
                    .setMatchedRules(new ArrayList<>(matchedRules))
                    .setTriggers(triggers.stream()
                            .map(t -> new Trigger(t.name(), t.value(), t.threshold(), t.effect()))
                            .toList())
                    .setPolicyVersion(policyVersion)
                    .setAutonomyLevel(autonomyLevel)
                    .setAssessedAt(Instant.ofEpochMilli(assessedAt))
                    .build();
        }
    }

    /**
     * @param group the reviewer group
     * @param quorum distinct approvals needed
     * @param approvals who approved the current version, in order
     * @param open whether the stage has been opened (requests sent) for the current version
     */
    public record StageProgress(String group, int quorum, List<String> approvals, boolean open) {

        /** Tolerates missing approvals. */
        public StageProgress {
            approvals = approvals == null ? List.of() : List.copyOf(approvals);
        }

        /** @return whether the stage has its quorum */
        public boolean complete() {
            return approvals.size() >= quorum;
        }

        StageProgress approvedBy(final String approver) {
            final List<String> next = new ArrayList<>(approvals);
            next.add(approver);
            return new StageProgress(group, quorum, next, open);
        }

        StageProgress opened() {
            return new StageProgress(group, quorum, approvals, true);
        }

        /** @return the stage with no approvals, to be opened again (a new version) */
        StageProgress dismissed() {
            return new StageProgress(group, quorum, List.of(), false);
        }
    }

    /**
     * @param change sets what differs
     * @return a copy with the changes
     */
    Progress with(final Consumer<Builder> change) {
        final Builder builder = new Builder(this);
        change.accept(builder);
        return builder.build();
    }

    Progress withIgnored(final IgnoredVote vote) {
        final List<IgnoredVote> next = new ArrayList<>(ignoredVotes);
        next.add(vote);
        while (next.size() > MAX_IGNORED_VOTES) {
            next.remove(0);
        }
        return with(p -> p.ignoredVotes = next);
    }

    /**
     * @param n a reminder, from 1
     * @return epoch ms when reminder n of this level and version is due: {@code levelStartedAt +
     *     remindAt[n-1] × (deadline − levelStartedAt)}
     */
    long reminderDue(final int n) {
        return levelStartedAt + (long) Math.floor(remindAt.get(n - 1) * (deadline - levelStartedAt));
    }

    /** @return whether a reminder of this level and version is still to come */
    boolean remindsAgain() {
        return !decided && levelStartedAt > 0 && reminded < remindAt.size();
    }

    Progress decided(final long at) {
        return with(p -> {
            p.decided = true;
            p.decidedAt = at;
        });
    }

    /** The components as mutable fields: the one place that copies them all (see {@link #with}). */
    static final class Builder {
        String actionId;
        String agentId;
        String onBehalfOf;
        String policyVersion;
        String tier;
        String routeName;
        String mode;
        int level;
        List<StageProgress> stages = List.of();
        long deadline;
        String escalateTo;
        long replyBy;
        long approvalValidForMillis;
        List<String> approvers = List.of();
        boolean decided;
        long decidedAt;
        List<IgnoredVote> ignoredVotes = List.of();
        int version;
        String arguments;
        String argumentsHash;
        List<Modification> modifications = List.of();
        Assessment assessment;
        Map<String, String> requestTrace;
        List<Double> remindAt = List.of();
        long levelStartedAt;
        int reminded;

        Builder() {}

        private Builder(final Progress from) {
            actionId = from.actionId;
            agentId = from.agentId;
            onBehalfOf = from.onBehalfOf;
            policyVersion = from.policyVersion;
            tier = from.tier;
            routeName = from.routeName;
            mode = from.mode;
            level = from.level;
            stages = from.stages;
            deadline = from.deadline;
            escalateTo = from.escalateTo;
            replyBy = from.replyBy;
            approvalValidForMillis = from.approvalValidForMillis;
            approvers = from.approvers;
            decided = from.decided;
            decidedAt = from.decidedAt;
            ignoredVotes = from.ignoredVotes;
            version = from.version;
            arguments = from.arguments;
            argumentsHash = from.argumentsHash;
            modifications = from.modifications;
            assessment = from.assessment;
            requestTrace = from.requestTrace;
            remindAt = from.remindAt;
            levelStartedAt = from.levelStartedAt;
            reminded = from.reminded;
        }

        Progress build() {
            return new Progress(
                    actionId,
                    agentId,
                    onBehalfOf,
                    policyVersion,
                    tier,
                    routeName,
                    mode,
                    level,
                    stages,
                    deadline,
                    escalateTo,
                    replyBy,
                    approvalValidForMillis,
                    approvers,
                    decided,
                    decidedAt,
                    ignoredVotes,
                    version,
                    arguments,
                    argumentsHash,
                    modifications,
                    assessment,
                    requestTrace,
                    remindAt,
                    levelStartedAt,
                    reminded,
                    null);
        }
    }
}
