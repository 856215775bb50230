package dev.hitl.audit.query;

import dev.hitl.audit.log.LogRecord;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An in-memory index of the audit log, built only by {@link #add} from records read off the log (so
 * it is rebuilt from scratch by replaying the log): every record with the facts its payload carries,
 * the records of each action, and per action the agent, action type and risk class the filters use.
 * Thread-safe: one writer (the indexer), any number of readers.
 *
 * <p>It holds every record, payload included: memory grows with the log (about the size of the
 * records plus a few hundred bytes each). A production installation would keep it in a store (a
 * database table with indexes on these fields), filled the same way.
 */
public final class AuditIndex {

    /** Order of an action's story when two events carry the same time. */
    private static final Map<String, Integer> STORY_RANK = Map.of(
            "PROPOSED",
            0,
            "AUTO_APPROVED",
            1,
            "PENDING",
            1,
            "REQUESTED",
            2,
            "VOTED",
            3,
            "VOTE_IGNORED",
            4,
            "DECIDED",
            5);

    /** Order of lists: by time, then by place in the log. */
    public static final Comparator<Entry> BY_TIME = Comparator.comparing(
                    (Entry e) -> e.record().occurredAt())
            .thenComparingInt(e -> e.record().partition())
            .thenComparingLong(e -> e.record().offset());

    private static final Comparator<Entry> STORY = Comparator.comparing(
                    (Entry e) -> e.record().occurredAt())
            .thenComparingInt(e -> STORY_RANK.getOrDefault(e.record().eventType(), 6))
            .thenComparingInt(e -> e.record().partition())
            .thenComparingLong(e -> e.record().offset());

    /**
     * One indexed record.
     *
     * @param record the record and where it is stored
     * @param facts what its payload says
     */
    public record Entry(LogRecord record, RecordFacts facts) {}

    /**
     * One page of a filtered list.
     *
     * @param page the page number, from 0
     * @param size the page size
     * @param total how many records match
     * @param records the records of this page
     */
    public record Page(int page, int size, long total, List<Entry> records) {

        /** @return how many pages there are */
        public long totalPages() {
            return (total + size - 1) / size;
        }
    }

    private static final class ActionFacts {
        private String agentId;
        private String actionType;
        private String riskClass;
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, List<Entry>> byAction = new HashMap<>();
    private final Map<String, ActionFacts> actions = new HashMap<>();

    /** @param record a record read off the log, in the order of its partition */
    public synchronized void add(final LogRecord record) {
        final Entry entry = new Entry(record, RecordFacts.of(record));
        entries.add(entry);
        final String actionId = record.actionId();
        if (actionId == null) {
            return;
        }
        byAction.computeIfAbsent(actionId, id -> new ArrayList<>()).add(entry);
        final ActionFacts facts = actions.computeIfAbsent(actionId, id -> new ActionFacts());
        final boolean ownAction = !"AGENT_CONTROL".equals(record.eventType());
        if (ownAction && facts.agentId == null && record.record().getAgentId() != null) {
            facts.agentId = record.record().getAgentId();
        }
        if (facts.actionType == null && entry.facts().actionType() != null) {
            facts.actionType = entry.facts().actionType();
        }
        if (entry.facts().riskClass() != null) {
            facts.riskClass = entry.facts().riskClass();
        }
    }

    /**
     * @param actionId an action
     * @return its records in the order they happened (PROPOSED, AUTO_APPROVED or PENDING,
     *     REQUESTED, VOTED, VOTE_IGNORED, DECIDED: by occurredAt, equal times in that order); empty
     *     when unknown
     */
    public synchronized List<Entry> story(final String actionId) {
        final List<Entry> story = new ArrayList<>(byAction.getOrDefault(actionId, List.of()));
        story.sort(STORY);
        return story;
    }

    /**
     * @param filter the filters
     * @param page the page, from 0
     * @param size records per page, at least 1
     * @return the page of matching records, ordered by occurredAt then partition and offset
     */
    public Page search(final RecordFilter filter, final int page, final int size) {
        if (page < 0 || size < 1) {
            throw new IllegalArgumentException("page must be >= 0 and size >= 1");
        }
        final List<Entry> matches = new ArrayList<>();
        synchronized (this) {
            for (final Entry e : entries) {
                if (matches(filter, e)) {
                    matches.add(e);
                }
            }
        }
        matches.sort(BY_TIME);
        final long first = (long) page * size;
        final List<Entry> slice = first >= matches.size()
                ? List.of()
                : List.copyOf(matches.subList((int) first, (int) Math.min(matches.size(), first + size)));
        return new Page(page, size, matches.size(), slice);
    }

    private boolean matches(final RecordFilter f, final Entry e) {
        final LogRecord r = e.record();
        if (!r.occurredIn(f.from(), f.to())) {
            return false;
        }
        if (f.eventType() != null && !f.eventType().equals(r.eventType())) {
            return false;
        }
        if (f.outcome() != null && !f.outcome().equals(e.facts().outcome())) {
            return false;
        }
        if (f.approver() != null && !e.facts().approvers().contains(f.approver())) {
            return false;
        }
        final ActionFacts action = r.actionId() == null ? null : actions.get(r.actionId());
        if (f.agentId() != null) {
            final String agent =
                    r.record().getAgentId() != null ? r.record().getAgentId() : action == null ? null : action.agentId;
            if (!f.agentId().equals(agent)) {
                return false;
            }
        }
        if (f.actionType() != null && (action == null || !f.actionType().equals(action.actionType))) {
            return false;
        }
        return f.riskClass() == null || (action != null && Objects.equals(f.riskClass(), action.riskClass));
    }

    /** @return every record indexed so far, in the order they were added */
    public synchronized List<Entry> snapshot() {
        return List.copyOf(entries);
    }

    /** @return how many records are indexed */
    public synchronized int size() {
        return entries.size();
    }

    /** @return how many actions are indexed */
    public synchronized int actionCount() {
        return byAction.size();
    }
}
