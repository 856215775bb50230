package dev.hitl.approval.inbox;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Each agent's recent REJECTED decisions with their reasons, from {@code hitl.decisions} (verified
 * decisions only), so a card can show the reviewer the same agent's earlier rejections of the same
 * action type and tool. The classifier's rejection memory already rejects identical repeats; these
 * are the similar ones (other arguments or target). Bounded: the last {@value #PER_AGENT} rejections
 * per agent, of at most {@value #MAX_AGENTS} agents (beyond that the agent rejected longest ago is
 * forgotten), none older than {@link #REMEMBER}. One writer (the materializer's thread), any readers.
 */
public final class Rejections {

    /** How long a rejection is remembered. */
    public static final Duration REMEMBER = Duration.ofDays(30);

    /** Rejections remembered per agent (the newest). */
    public static final int PER_AGENT = 50;

    /** Agents whose rejections are remembered. */
    public static final int MAX_AGENTS = 10_000;

    /**
     * One rejection.
     *
     * @param actionId the rejected action
     * @param agentId its agent
     * @param actionType its type
     * @param tool its tool
     * @param target what it would have acted on
     * @param decidedAt when it was rejected
     * @param approvers the reviewers who rejected it (empty when a rule or the system did)
     * @param decidedBy who decided, e.g. people or a rule
     * @param reason the reason given
     * @param category the feedback's category
     */
    public record Rejection(
            String actionId,
            String agentId,
            String actionType,
            String tool,
            String target,
            Instant decidedAt,
            List<String> approvers,
            String decidedBy,
            String reason,
            String category) {}

    private final Map<String, ConcurrentLinkedDeque<Rejection>> byAgent = new ConcurrentHashMap<>();

    /** @param decision a verified decision; only REJECTED ones are remembered */
    void decision(final Decision decision) {
        if (decision.getOutcome() != Outcome.REJECTED) {
            return;
        }
        final Rejection rejection = new Rejection(
                decision.getActionId(),
                decision.getAgentId(),
                decision.getActionType(),
                decision.getTool(),
                decision.getTarget(),
                decision.getDecidedAt(),
                List.copyOf(decision.getApprovers()),
                decision.getDecidedBy(),
                decision.getFeedback() == null ? null : decision.getFeedback().getReason(),
                decision.getFeedback() == null ? null : decision.getFeedback().getCategory());
        final ConcurrentLinkedDeque<Rejection> log =
                byAgent.computeIfAbsent(decision.getAgentId(), a -> new ConcurrentLinkedDeque<>());
        if (log.stream().anyMatch(r -> r.actionId().equals(rejection.actionId()))) {
            return; // read again (a restart reads from the start; a decision is final)
        }
        log.addLast(rejection);
        while (log.size() > PER_AGENT) {
            log.pollFirst();
        }
        if (byAgent.size() > MAX_AGENTS) {
            byAgent.entrySet().stream()
                    .filter(e -> e.getValue().peekLast() != null)
                    .min(Comparator.comparing(e -> e.getValue().peekLast().decidedAt()))
                    .ifPresent(e -> byAgent.remove(e.getKey()));
        }
    }

    /**
     * @param agentId an agent
     * @param actionType an action type
     * @param tool a tool, or null
     * @param except the action on the card (never listed)
     * @param limit at most this many
     * @return the agent's remembered rejections of that action type and tool, newest first
     */
    public List<Rejection> similar(
            final String agentId, final String actionType, final String tool, final String except, final int limit) {
        final ConcurrentLinkedDeque<Rejection> log = agentId == null ? null : byAgent.get(agentId);
        if (log == null) {
            return List.of();
        }
        return log.stream()
                .filter(r -> Objects.equals(r.actionType(), actionType)
                        && Objects.equals(r.tool(), tool)
                        && !r.actionId().equals(except))
                .sorted(Comparator.comparing(Rejection::decidedAt).reversed())
                .limit(limit)
                .toList();
    }

    /** @param now the time now: rejections older than {@link #REMEMBER} are forgotten */
    void forgetOld(final Instant now) {
        final Instant cutoff = now.minus(REMEMBER);
        byAgent.values().forEach(log -> log.removeIf(r -> r.decidedAt().isBefore(cutoff)));
        byAgent.values().removeIf(ConcurrentLinkedDeque::isEmpty);
    }
}
