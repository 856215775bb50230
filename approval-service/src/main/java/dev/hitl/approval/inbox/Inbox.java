package dev.hitl.approval.inbox;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.TrustStats;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.topics.TopicCatalogue;
import io.opentelemetry.api.trace.SpanContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
    // the whole inbox (which holds a million requests at capacity). The items themselves are the
    // keys (no position objects: at a million open items every object per item counts). An item
    // replaced (escalated, a new stage) or closed is removed by the single writer; readers skip
    // items that are no longer the open one.
    private final ConcurrentSkipListSet<Item> byDeadline = new ConcurrentSkipListSet<>(Item.BY_DEADLINE);
    // The same items in priority order (risk and deadline together: Order.PRIORITY).
    private final ConcurrentSkipListSet<Item> byPriority = new ConcurrentSkipListSet<>(Item.BY_PRIORITY);
    // The same items by when each started waiting (its earliest request's requestedAt, which the
    // escalation service sets; never the agent's proposedAt), so the oldest is the first.
    private final ConcurrentSkipListSet<Item> bySince = new ConcurrentSkipListSet<>(Item.BY_SINCE);
    // How many open items have each set of open groups (a handful of sets: one per route shape), so
    // a reviewer's total is a sum over these rather than a pass over every open item.
    private final Map<Set<String>, Integer> openByGroups = new ConcurrentHashMap<>();
    private final Map<String, Instant> closed = new ConcurrentHashMap<>();
    private final Map<String, TrustStats> trust = new ConcurrentHashMap<>();
    // agentId -> owners, from the latest registration on hitl.agents.registry.
    private final Map<String, List<String>> owners = new ConcurrentHashMap<>();
    private final Map<String, VoteLog> votesByApprover = new ConcurrentHashMap<>();
    private final List<Consumer<Change>> listeners = new CopyOnWriteArrayList<>();
    private final Rejections rejections = new Rejections();
    // Only the single writer packs.
    private final PackedRequests packer = new PackedRequests(4096);

    /**
     * Recently read or opened items, decoded: the items being worked on are decoded once, not on
     * every page and vote. Keys by identity (weak), so a replaced or closed item's entry goes.
     */
    private static final Cache<Item, List<ApprovalRequest>> DECODED =
            Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

    /** Drops every decoded item (tests: the next read decodes from the compact form). */
    static void forgetDecoded() {
        DECODED.invalidateAll();
    }

    /**
     * One action waiting for reviewers, with its open requests (one per open stage) at the latest
     * escalation level and the latest version of the action (all of them share both).
     *
     * <p>Held compactly: what the inbox's orders, counts and filters need (deadline, priority, level,
     * version, the stages' groups, agent, batch, risk class) as fields; the requests themselves
     * deflated ({@link PackedRequests}) and decoded when read ({@link #requests()}), the recently
     * used ones kept decoded.
     */
    public static final class Item {

        static final Comparator<Item> BY_DEADLINE =
                Comparator.comparingLong((Item i) -> i.deadline).thenComparing(Item::actionId);
        static final Comparator<Item> BY_PRIORITY =
                Comparator.comparingLong((Item i) -> i.priority).thenComparing(Item::actionId);
        static final Comparator<Item> BY_SINCE =
                Comparator.comparingLong((Item i) -> i.since).thenComparing(Item::actionId);

        private final String actionId;
        // Times as nanoseconds since the epoch: three longs instead of three Instant objects.
        private final long deadline;
        private final long priority;
        private final long since;
        private final int level;
        private final int version;
        private final String[] stageGroups;
        private final String agentId;
        private final String batchId;
        private final RiskClass riskClass;
        private final String[] traces;
        private final byte[] packed;
        private final PackedRequests.Dictionary dictionary;

        private Item(
                final String actionId,
                final long deadline,
                final long priority,
                final long since,
                final int level,
                final int version,
                final String[] stageGroups,
                final String agentId,
                final String batchId,
                final RiskClass riskClass,
                final String[] traces,
                final byte[] packed,
                final PackedRequests.Dictionary dictionary) {
            this.actionId = actionId;
            this.deadline = deadline;
            this.priority = priority;
            this.since = since;
            this.level = level;
            this.version = version;
            this.stageGroups = stageGroups;
            this.agentId = agentId;
            this.batchId = batchId;
            this.riskClass = riskClass;
            this.traces = traces;
            this.packed = packed;
            this.dictionary = dictionary;
        }

        /** A key to look an order up with: only the order's time and the action id are set. */
        private static Item probe(final long key, final String actionId) {
            return new Item(actionId, key, key, key, 0, 0, new String[0], null, null, null, null, null, null);
        }

        private static Item of(
                final String actionId,
                final List<ApprovalRequest> requests,
                final String[] traces,
                final long since,
                final PackedRequests packer) {
            final ApprovalRequest first = requests.get(0);
            final Instant deadline = first.getDeadline();
            final PackedRequests.Packed packed = packer.pack(requests);
            final Item item = new Item(
                    actionId,
                    nanos(deadline),
                    nanos(priorityAt(deadline, first.getAssessment().getScore())),
                    since,
                    first.getEscalationLevel(),
                    first.getActionVersion(),
                    packer.groups(requests),
                    first.getAction().getAgentId(),
                    first.getAction().getBatchId(),
                    first.getAssessment().getRiskClass(),
                    traces,
                    packed.bytes(),
                    packed.dictionary());
            DECODED.put(item, List.copyOf(requests));
            return item;
        }

        private Item since(final long earlier) {
            final Item item = new Item(
                    actionId,
                    deadline,
                    priority,
                    earlier,
                    level,
                    version,
                    stageGroups,
                    agentId,
                    batchId,
                    riskClass,
                    traces,
                    packed,
                    dictionary);
            final List<ApprovalRequest> decoded = DECODED.getIfPresent(this);
            if (decoded != null) {
                DECODED.put(item, decoded);
            }
            return item;
        }

        /** @return the action */
        public String actionId() {
            return actionId;
        }

        /** @return the open requests, by stage (decoded when not used lately; do not change them) */
        public List<ApprovalRequest> requests() {
            return DECODED.get(this, item -> List.copyOf(PackedRequests.unpack(item.packed, item.dictionary)));
        }

        /**
         * @return each request's trace context in {@link KeptTrace} form (null for none), in the order
         *     of {@link #requests()}; null when no request carries one
         */
        public List<String> traces() {
            return traces == null ? null : java.util.Collections.unmodifiableList(Arrays.asList(traces));
        }

        /**
         * @param request one of the item's requests
         * @return the trace context its record carried (the vote hop links to it), invalid when none
         */
        public SpanContext trace(final ApprovalRequest request) {
            if (traces == null) {
                return SpanContext.getInvalid();
            }
            final List<ApprovalRequest> requests = requests();
            for (int i = 0; i < requests.size(); i++) {
                if (requests.get(i).getStageIndex() == request.getStageIndex()) {
                    return KeptTrace.restore(traces[i]);
                }
            }
            return SpanContext.getInvalid();
        }

        /** @return the request every stage shares the action and assessment of */
        public ApprovalRequest first() {
            return requests().get(0);
        }

        /** @return the escalation level of the open requests */
        public int level() {
            return level;
        }

        /**
         * @return the version of the action the open requests ask about: 0 is the agent's proposal,
         *     each reviewer's modification makes the next
         */
        public int version() {
            return version;
        }

        /** @return when the open requests time out */
        public Instant deadline() {
            return instant(deadline);
        }

        /**
         * @return the item's priority time: its deadline less its risk score (clamped to 0..1) times
         *     {@link #PRIORITY_HEAD_START}; earlier ranks first
         */
        public Instant priorityAt() {
            return instant(priority);
        }

        /** @return the agent that proposed the action (without decoding the requests) */
        public String agentId() {
            return agentId;
        }

        /** @return the action's batch, or null (without decoding the requests) */
        public String batchId() {
            return batchId;
        }

        /** @return the action's risk class (without decoding the requests) */
        public RiskClass riskClass() {
            return riskClass;
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
            if (!isFor(groups)) {
                return List.of();
            }
            return requests().stream()
                    .filter(r -> groups.contains(
                            r.getRoute().getStages().get(r.getStageIndex()).getGroup()))
                    .toList();
        }

        /** @return the groups of the open stages */
        public Set<String> groups() {
            return Set.copyOf(Arrays.asList(stageGroups));
        }

        /**
         * @param groups a reviewer's groups
         * @return whether a stage open for one of the groups is among the requests
         */
        public boolean isFor(final List<String> groups) {
            for (final String group : stageGroups) {
                if (groups.contains(group)) {
                    return true;
                }
            }
            return false;
        }

        long key(final Order order) {
            return order == Order.DEADLINE ? deadline : priority;
        }

        @Override
        public String toString() {
            return "Item[" + actionId + ", level " + level + ", version " + version + "]";
        }
    }

    /** Nanoseconds since the epoch (clamped: about the years 1677 to 2262). */
    static long nanos(final Instant time) {
        try {
            return Math.addExact(Math.multiplyExact(time.getEpochSecond(), 1_000_000_000L), time.getNano());
        } catch (ArithmeticException e) {
            return time.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    private static Instant instant(final long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
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
        final long requestedAt = nanos(request.getRequestedAt());
        final Item before = open.get(id);
        final Item next = open.compute(id, (key, item) -> {
            if (item == null) {
                return Item.of(id, List.of(request), traces(trace), requestedAt, packer);
            }
            // An escalation or a new version keeps the action's first time: it has waited since then.
            final long since = Math.min(item.since, requestedAt);
            if (superseded(item, request)) {
                return since == item.since ? item : item.since(since);
            }
            if (request.getEscalationLevel() > item.level() || request.getActionVersion() > item.version()) {
                return Item.of(id, List.of(request), traces(trace), since, packer);
            }
            final List<ApprovalRequest> current = item.requests();
            final List<ApprovalRequest> stages = new ArrayList<>(current.size() + 1);
            final List<String> traces = new ArrayList<>(current.size() + 1);
            boolean traced = trace != null;
            for (int i = 0; i < current.size(); i++) {
                final ApprovalRequest r = current.get(i);
                if (r.getStageIndex() != request.getStageIndex()) {
                    stages.add(r);
                    final String kept = item.traces == null ? null : item.traces[i];
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
            return Item.of(id, stages, traced ? traces.toArray(String[]::new) : null, since, packer);
        });
        if (before != next) {
            if (before != null) {
                unindex(before);
            }
            byDeadline.add(next);
            byPriority.add(next);
            bySince.add(next);
            count(next, 1);
        }
        listeners.forEach(l -> l.accept(new Change(id, true, next)));
    }

    private static String[] traces(final String trace) {
        return trace == null ? null : new String[] {trace};
    }

    private void unindex(final Item item) {
        byDeadline.remove(item);
        byPriority.remove(item);
        bySince.remove(item);
        count(item, -1);
    }

    /**
     * @param decision a decision
     * @return whether {@link #decision} would change anything: it closes an open item, or it is a
     *     human-path outcome (remembered as closed; a rejection is shown on later cards). The others
     *     (most of them: automatic approvals, blocks) need not be read at all, nor their signatures
     *     checked.
     */
    boolean concerns(final Decision decision) {
        return HUMAN_PATH.contains(decision.getOutcome()) || open.containsKey(decision.getActionId());
    }

    void decision(final Decision decision, final Instant now) {
        rejections.decision(decision);
        final Item removed = open.remove(decision.getActionId());
        final boolean wasOpen = removed != null;
        if (wasOpen) {
            unindex(removed);
        }
        // Only human-path actions can see a request after their decision; most decisions are automatic.
        if (wasOpen || HUMAN_PATH.contains(decision.getOutcome())) {
            closed.put(decision.getActionId(), now);
        }
        if (wasOpen) {
            listeners.forEach(l -> l.accept(new Change(decision.getActionId(), false, null)));
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
        final ConcurrentSkipListSet<Item> index = order == Order.PRIORITY ? byPriority : byDeadline;
        final List<Item> items = new ArrayList<>(Math.min(limit, 1024));
        Item last = null;
        int total = 0;
        boolean more = false;
        final Item from = after == null ? null : Item.probe(nanos(after.deadline()), after.actionId());
        final Comparator<? super Item> comparator = index.comparator();
        // Unfiltered, the total comes from the counts and the page can start at the cursor.
        final Iterable<Item> positions = filter == null && from != null ? index.tailSet(from, false) : index;
        for (final Item item : positions) {
            if (open.get(item.actionId()) != item || !item.isFor(groups) || (filter != null && !filter.test(item))) {
                continue; // replaced, closed, or not this reviewer's
            }
            total++;
            if (from != null && comparator.compare(item, from) <= 0) {
                continue;
            }
            if (items.size() < limit) {
                items.add(item);
                last = item;
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
                more ? Optional.of(new Position(instant(last.key(order)), last.actionId())) : Optional.empty());
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
        if (registered == null) {
            return false;
        }
        for (final String owner : registered) {
            if (owner.equalsIgnoreCase(person)) {
                return true;
            }
        }
        return false;
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
        final Item oldest;
        try {
            oldest = bySince.first();
        } catch (NoSuchElementException e) {
            return Duration.ZERO;
        }
        final Instant since = instant(oldest.since);
        return since.isBefore(now) ? Duration.between(since, now) : Duration.ZERO;
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
