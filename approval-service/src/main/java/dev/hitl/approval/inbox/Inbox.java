package dev.hitl.approval.inbox;

import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.topics.TopicCatalogue;
import io.opentelemetry.api.trace.SpanContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The open approval requests, as {@link InboxMaterializer} reads them from the topics: a request
 * opens an item (a later escalation level or a later version of the action replaces the earlier
 * requests: see {@link #request}), a decision closes it for good.
 * Also each agent's track record, each agent's owners (from the registry), each agent's recent
 * rejections ({@link Rejections}), and each reviewer's own votes. Open items are indexed by deadline
 * and by priority ({@link Order}). Thread-safe; listeners hear every
 * change (for live updates).
 */
public final class Inbox {

    /** How long closed action ids are remembered, so a late request cannot reopen a decided action. */
    private static final Duration REMEMBER_CLOSED = Duration.ofDays(8);

    /** How long each reviewer's votes are kept (the fatigue signals look at the last 24 h). */
    private static final Duration REMEMBER_VOTES = Duration.ofDays(8);

    /**
     * At most this many votes are kept per reviewer: a reviewer app on the topics can vote far more
     * often than a person, and the inbox is in memory. The audit log keeps every vote.
     */
    static final int MAX_VOTES_PER_APPROVER = 100_000;

    /**
     * Triage: in priority order a request ranks by its deadline moved earlier by its risk score (0 to
     * 1) times this head start, so risk and time left count together: a request scored 0.9 that is
     * due in 90 minutes ranks as if due in 36, next to a harmless one due in 36 minutes.
     */
    public static final Duration PRIORITY_HEAD_START = Duration.ofHours(1);

    /** The orders reviewers can list the inbox in. */
    public enum Order {
        /** Soonest deadline first. */
        DEADLINE,
        /** Highest priority first: the deadline less the risk score times {@link #PRIORITY_HEAD_START}. */
        PRIORITY;

        Instant key(final Item item) {
            return this == DEADLINE ? item.deadline() : item.priorityAt();
        }
    }

    private static final Set<dev.hitl.schemas.Outcome> HUMAN_PATH = java.util.EnumSet.of(
            dev.hitl.schemas.Outcome.APPROVED,
            dev.hitl.schemas.Outcome.MODIFIED,
            dev.hitl.schemas.Outcome.REJECTED,
            dev.hitl.schemas.Outcome.TIMED_OUT,
            dev.hitl.schemas.Outcome.HALTED,
            dev.hitl.schemas.Outcome.WITHDRAWN);

    private final Map<String, Item> open = new ConcurrentHashMap<>();
    // The open items in the order reviewers see them, so a page costs its own length, not a sort of
    // the whole inbox (which holds a million requests at capacity). A position whose item moved
    // (escalated: new deadline) or closed is removed by the single writer; readers skip stale ones.
    private final ConcurrentSkipListSet<Position> byDeadline = new ConcurrentSkipListSet<>();
    // The same items in priority order (risk and deadline together: Order.PRIORITY).
    private final ConcurrentSkipListSet<Position> byPriority = new ConcurrentSkipListSet<>();
    // How many open items have each set of open groups (a handful of sets: one per route shape), so
    // a reviewer's total is a sum over these rather than a pass over every open item.
    private final Map<Set<String>, Integer> openByGroups = new ConcurrentHashMap<>();
    // When each open action started waiting (its earliest request's requestedAt, which the escalation
    // service sets; never the agent's proposedAt), and the same ordered, so the oldest is the first.
    private final Map<String, Instant> waitingSince = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<Waiting> bySince = new ConcurrentSkipListSet<>();
    private final Map<String, Instant> closed = new ConcurrentHashMap<>();
    private final Map<String, TrustStats> trust = new ConcurrentHashMap<>();
    // agentId -> owners, from the latest registration on hitl.agents.registry.
    private final Map<String, List<String>> owners = new ConcurrentHashMap<>();
    private final Map<String, VoteLog> votesByApprover = new ConcurrentHashMap<>();
    private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
    private final Rejections rejections = new Rejections();

    /**
     * One action waiting for reviewers, with its open requests (one per open stage) at the latest
     * escalation level and the latest version of the action (all of them share both).
     *
     * @param actionId the action
     * @param requests the open requests, by stage
     * @param traces each request's trace context in {@link KeptTrace} form (null for none), in the
     *     order of {@code requests}; null when no request carries one
     */
    public record Item(String actionId, List<ApprovalRequest> requests, List<String> traces) {

        /**
         * @param actionId the action
         * @param requests the open requests, by stage, none with a trace context
         */
        public Item(final String actionId, final List<ApprovalRequest> requests) {
            this(actionId, requests, null);
        }

        /**
         * @param request one of the item's requests
         * @return the trace context its record carried (the vote hop links to it), invalid when none
         */
        public SpanContext trace(final ApprovalRequest request) {
            if (traces == null) {
                return SpanContext.getInvalid();
            }
            for (int i = 0; i < requests.size(); i++) {
                if (requests.get(i) == request) {
                    return KeptTrace.restore(traces.get(i));
                }
            }
            return SpanContext.getInvalid();
        }

        /** @return the request every stage shares the action and assessment of */
        public ApprovalRequest first() {
            return requests.get(0);
        }

        /** @return the escalation level of the open requests */
        public int level() {
            return first().getEscalationLevel();
        }

        /**
         * @return the version of the action the open requests ask about: 0 is the agent's proposal,
         *     each reviewer's modification makes the next
         */
        public int version() {
            return first().getActionVersion();
        }

        /** @return when the open requests time out */
        public Instant deadline() {
            return first().getDeadline();
        }

        /**
         * @return the item's priority time: its deadline less its risk score (clamped to 0..1) times
         *     {@link #PRIORITY_HEAD_START}; earlier ranks first
         */
        public Instant priorityAt() {
            return priorityAt(deadline(), first().getAssessment().getScore());
        }

        /**
         * @param deadline a deadline
         * @param score a risk score
         * @return the priority time of a request with that deadline and score
         */
        public static Instant priorityAt(final Instant deadline, final double score) {
            final double clamped = Double.isNaN(score) ? 1 : Math.max(0, Math.min(1, score));
            return deadline.minusMillis(Math.round(clamped * PRIORITY_HEAD_START.toMillis()));
        }

        /**
         * @param groups a reviewer's groups
         * @return the open stage requests whose group the reviewer is in
         */
        public List<ApprovalRequest> forGroups(final List<String> groups) {
            return requests.stream()
                    .filter(r -> groups.contains(
                            r.getRoute().getStages().get(r.getStageIndex()).getGroup()))
                    .toList();
        }

        /** @return the groups of the open stages */
        public Set<String> groups() {
            return requests.stream()
                    .map(r -> r.getRoute().getStages().get(r.getStageIndex()).getGroup())
                    .collect(Collectors.toUnmodifiableSet());
        }

        /**
         * @param groups a reviewer's groups
         * @return whether a stage open for one of the groups is among the requests
         */
        public boolean isFor(final List<String> groups) {
            for (final ApprovalRequest r : requests) {
                if (groups.contains(
                        r.getRoute().getStages().get(r.getStageIndex()).getGroup())) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Where an open item stands in one of the inbox's orders: soonest deadline (or priority time)
     * first, then by action id. A page of the inbox continues after the position of the previous
     * page's last item.
     *
     * @param deadline the item's deadline, or its priority time in {@link Order#PRIORITY}
     * @param actionId its action
     */
    public record Position(Instant deadline, String actionId) implements Comparable<Position> {

        private static final Comparator<Position> ORDER =
                Comparator.comparing(Position::deadline).thenComparing(Position::actionId);

        /**
         * @param item an open item
         * @return its position
         */
        public static Position of(final Item item) {
            return new Position(item.deadline(), item.actionId());
        }

        @Override
        public int compareTo(final Position other) {
            return ORDER.compare(this, other);
        }
    }

    /**
     * One page of the inbox.
     *
     * @param items up to the page's limit of matching items, soonest deadline first
     * @param total how many items match, on every page
     * @param next where the next page starts, when there are more
     */
    public record Page(List<Item> items, int total, Optional<Position> next) {}

    /**
     * A change in the inbox.
     *
     * @param actionId the action
     * @param opened true when a request opened (or escalated), false when the action was decided
     * @param item the item after the change, or null when closed
     */
    public record Change(String actionId, boolean opened, Item item) {}

    /**
     * @param item an open item
     * @param request a request for the same action
     * @return whether the request is older than the item's: an earlier escalation level or an
     *     earlier version of the action. Votes on it no longer count.
     */
    public static boolean superseded(final Item item, final ApprovalRequest request) {
        return request.getEscalationLevel() < item.level() || request.getActionVersion() < item.version();
    }

    /**
     * Opens a request. A request of a later escalation level or a later version of the action
     * replaces every request of the item (the earlier level's or version's stages are closed: their
     * votes no longer count, and the escalation service asks again whichever stages it needs); an
     * older one changes nothing; one of the same level and version opens its stage next to the
     * others, replacing that stage's earlier request.
     */
    void request(final ApprovalRequest request) {
        request(request, null);
    }

    /**
     * Opens a request, as {@link #request(ApprovalRequest)}, keeping the trace context its record
     * carried.
     *
     * @param request the request
     * @param trace its record's trace context in {@link KeptTrace} form, or null for none
     */
    void request(final ApprovalRequest request, final String trace) {
        final String id = request.getAction().getActionId();
        if (closed.containsKey(id)) {
            return;
        }
        waiting(id, request.getRequestedAt());
        final Item before = open.get(id);
        final Item next = open.compute(id, (key, item) -> {
            if (item == null) {
                return new Item(
                        id, List.of(request), trace == null ? null : java.util.Collections.singletonList(trace));
            }
            if (superseded(item, request)) {
                return item;
            }
            if (request.getEscalationLevel() > item.level() || request.getActionVersion() > item.version()) {
                return new Item(
                        id, List.of(request), trace == null ? null : java.util.Collections.singletonList(trace));
            }
            final List<ApprovalRequest> stages = new ArrayList<>(item.requests().size() + 1);
            final List<String> traces = new ArrayList<>(item.requests().size() + 1);
            boolean traced = trace != null;
            for (int i = 0; i < item.requests().size(); i++) {
                final ApprovalRequest r = item.requests().get(i);
                if (r.getStageIndex() != request.getStageIndex()) {
                    stages.add(r);
                    final String kept =
                            item.traces() == null ? null : item.traces().get(i);
                    traces.add(kept);
                    traced |= kept != null;
                }
            }
            int at = 0;
            while (at < stages.size() && stages.get(at).getStageIndex() < request.getStageIndex()) {
                at++;
            }
            stages.add(at, request);
            traces.add(at, trace);
            return new Item(id, List.copyOf(stages), traced ? java.util.Collections.unmodifiableList(traces) : null);
        });
        if (before != next) {
            if (before != null) {
                byDeadline.remove(Position.of(before));
                byPriority.remove(new Position(before.priorityAt(), id));
                count(before, -1);
            }
            byDeadline.add(Position.of(next));
            byPriority.add(new Position(next.priorityAt(), id));
            count(next, 1);
        }
        listeners.forEach(l -> l.accept(new Change(id, true, next)));
    }

    void decision(final Decision decision, final Instant now) {
        rejections.decision(decision);
        final Item removed = open.remove(decision.getActionId());
        final boolean wasOpen = removed != null;
        if (wasOpen) {
            byDeadline.remove(Position.of(removed));
            byPriority.remove(new Position(removed.priorityAt(), removed.actionId()));
            count(removed, -1);
        }
        final Instant since = waitingSince.remove(decision.getActionId());
        if (since != null) {
            bySince.remove(new Waiting(since, decision.getActionId()));
        }
        // Only human-path actions can see a request after their decision; most decisions are automatic.
        if (wasOpen || HUMAN_PATH.contains(decision.getOutcome())) {
            closed.put(decision.getActionId(), now);
        }
        if (wasOpen) {
            listeners.forEach(l -> l.accept(new Change(decision.getActionId(), false, null)));
        }
    }

    /** An escalation or a new version keeps the action's first time: it has waited since then. */
    private void waiting(final String actionId, final Instant requestedAt) {
        final Instant before = waitingSince.get(actionId);
        if (before == null || requestedAt.isBefore(before)) {
            waitingSince.put(actionId, requestedAt);
            if (before != null) {
                bySince.remove(new Waiting(before, actionId));
            }
            bySince.add(new Waiting(requestedAt, actionId));
        }
    }

    private void count(final Item item, final int delta) {
        openByGroups.merge(item.groups(), delta, (a, b) -> a + b == 0 ? null : a + b);
    }

    void trust(final TrustStats stats) {
        trust.put(TopicCatalogue.trustKey(stats.getAgentId(), stats.getActionType()), stats);
    }

    void registration(final String agentId, final AgentRegistration registration) {
        if (registration == null) {
            owners.remove(agentId);
        } else {
            owners.put(agentId, List.copyOf(registration.getOwners()));
        }
    }

    void vote(final Vote vote) {
        votesByApprover.computeIfAbsent(vote.getApprover(), a -> new VoteLog()).add(vote);
    }

    void forgetOld(final Instant now) {
        rejections.forgetOld(now);
        closed.values().removeIf(at -> at.isBefore(now.minus(REMEMBER_CLOSED)));
        votesByApprover.values().forEach(log -> log.forgetBefore(now.minus(REMEMBER_VOTES)));
        votesByApprover.values().removeIf(VoteLog::isEmpty);
    }

    /**
     * @param groups a reviewer's groups
     * @return the items with a stage open for one of the groups, soonest deadline first
     */
    public List<Item> openFor(final List<String> groups) {
        return page(groups, null, null, Integer.MAX_VALUE).items();
    }

    /**
     * @param groups a reviewer's groups
     * @return how many items have a stage open for one of the groups
     */
    public int countFor(final List<String> groups) {
        int total = 0;
        for (final Map.Entry<Set<String>, Integer> entry : openByGroups.entrySet()) {
            if (entry.getKey().stream().anyMatch(groups::contains)) {
                total += entry.getValue();
            }
        }
        return total;
    }

    /**
     * One page of the items with a stage open for one of the groups, soonest deadline first. Without
     * a filter a page costs its own length (plus the items of other groups it steps over); with one,
     * one pass over every open item, to count the matches.
     *
     * @param groups a reviewer's groups
     * @param filter which of them to list, or null for all
     * @param after where the page starts (exclusive), or null for the first page
     * @param limit the page's length, at least 1
     * @return the page
     */
    public Page page(final List<String> groups, final Predicate<Item> filter, final Position after, final int limit) {
        return page(groups, filter, after, limit, Order.DEADLINE);
    }

    /**
     * One page of the items with a stage open for one of the groups, in the given order; costs as
     * {@link #page(List, Predicate, Position, int)}. A cursor belongs to the order it came from.
     *
     * @param groups a reviewer's groups
     * @param filter which of them to list, or null for all
     * @param after where the page starts (exclusive), or null for the first page
     * @param limit the page's length, at least 1
     * @param order soonest deadline, or highest priority, first
     * @return the page
     */
    public Page page(
            final List<String> groups,
            final Predicate<Item> filter,
            final Position after,
            final int limit,
            final Order order) {
        final ConcurrentSkipListSet<Position> index = order == Order.PRIORITY ? byPriority : byDeadline;
        final List<Item> items = new ArrayList<>(Math.min(limit, 1024));
        Position last = null;
        int total = 0;
        boolean more = false;
        // Unfiltered, the total comes from the counts and the page can start at the cursor.
        final Iterable<Position> positions = filter == null && after != null ? index.tailSet(after, false) : index;
        for (final Position position : positions) {
            final Item item = open.get(position.actionId());
            if (item == null
                    || !order.key(item).equals(position.deadline())
                    || !item.isFor(groups)
                    || (filter != null && !filter.test(item))) {
                continue; // closed, moved, or not this reviewer's
            }
            total++;
            if (after != null && position.compareTo(after) <= 0) {
                continue;
            }
            if (items.size() < limit) {
                items.add(item);
                last = position;
            } else {
                more = true;
                if (filter == null) {
                    break;
                }
            }
        }
        return new Page(
                List.copyOf(items),
                filter == null ? countFor(groups) : total,
                more ? Optional.of(last) : Optional.empty());
    }

    /**
     * @param actionId an action
     * @return its open item, if it is waiting
     */
    public Optional<Item> item(final String actionId) {
        return Optional.ofNullable(open.get(actionId));
    }

    /**
     * @param actionId an action
     * @return whether it has been decided
     */
    public boolean isClosed(final String actionId) {
        return closed.containsKey(actionId);
    }

    /**
     * @param agentId an agent
     * @param actionType an action type
     * @return the agent's track record for it, if any
     */
    public Optional<TrustStats> trackRecord(final String agentId, final String actionType) {
        return Optional.ofNullable(trust.get(TopicCatalogue.trustKey(agentId, actionType)));
    }

    /** @return each agent's recent rejections (similar earlier rejections on a card) */
    public Rejections rejections() {
        return rejections;
    }

    /**
     * @param person a reviewer
     * @param agentId an agent
     * @return whether the agent's latest registration names the reviewer an owner (case-insensitive)
     */
    public boolean owns(final String person, final String agentId) {
        final List<String> registered = agentId == null ? null : owners.get(agentId);
        return registered != null && registered.stream().anyMatch(o -> o.equalsIgnoreCase(person));
    }

    /**
     * @param approver a reviewer
     * @return the reviewer's votes of the last 8 days (at most {@value #MAX_VOTES_PER_APPROVER}), oldest
     *     first
     */
    public List<Vote> votesOf(final String approver) {
        final VoteLog log = votesByApprover.get(approver);
        return log == null ? List.of() : log.snapshot();
    }

    /** @return every reviewer who has voted */
    public Set<String> approvers() {
        return Set.copyOf(votesByApprover.keySet());
    }

    /** @return how many actions wait for reviewers */
    public int openCount() {
        return open.size();
    }

    /**
     * @param now the time now
     * @return how long the action waiting longest has waited for reviewers, since its first request
     *     opened (escalations and modified versions do not restart it); zero when none waits
     */
    public Duration oldestAge(final Instant now) {
        final Waiting oldest;
        try {
            oldest = bySince.first();
        } catch (NoSuchElementException e) {
            return Duration.ZERO;
        }
        return oldest.since().isBefore(now) ? Duration.between(oldest.since(), now) : Duration.ZERO;
    }

    /** Since when an open action waits. */
    private record Waiting(Instant since, String actionId) implements Comparable<Waiting> {

        private static final Comparator<Waiting> ORDER =
                Comparator.comparing(Waiting::since).thenComparing(Waiting::actionId);

        @Override
        public int compareTo(final Waiting other) {
            return ORDER.compare(this, other);
        }
    }

    /** @return how many decided actions are remembered, so that a late request cannot reopen them */
    public int closedCount() {
        return closed.size();
    }

    /** @param listener told of every change */
    public void listen(final Consumer<Change> listener) {
        listeners.add(listener);
    }

    /** @param listener no longer told */
    public void unlisten(final Consumer<Change> listener) {
        listeners.remove(listener);
    }

    /** @return how many listeners are registered (live UI connections, for tests and metrics) */
    public int listenerCount() {
        return listeners.size();
    }

    /**
     * One reviewer's votes in arrival order. Appending is O(1) (a copy-on-write list copied itself
     * on every vote: quadratic for a reviewer app voting all day); one writer (the materializer's
     * thread), any number of readers.
     */
    private static final class VoteLog {

        private final ConcurrentLinkedDeque<Vote> votes = new ConcurrentLinkedDeque<>();
        private volatile int size;

        void add(final Vote vote) {
            votes.addLast(vote);
            size++;
            if (size > MAX_VOTES_PER_APPROVER) {
                votes.pollFirst();
                size--;
            }
        }

        void forgetBefore(final Instant cutoff) {
            for (Vote first = votes.peekFirst();
                    first != null && first.getVotedAt().isBefore(cutoff);
                    first = votes.peekFirst()) {
                votes.pollFirst();
                size--;
            }
        }

        boolean isEmpty() {
            return votes.isEmpty();
        }

        List<Vote> snapshot() {
            return List.copyOf(votes);
        }
    }
}
