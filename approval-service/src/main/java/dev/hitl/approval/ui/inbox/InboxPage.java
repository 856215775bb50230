package dev.hitl.approval.ui.inbox;

import dev.hitl.approval.api.Summary;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inbox: the open requests of the reviewer's groups, soonest deadline first, a batch's requests
 * as one line. {@code app.js} keeps it live from {@code /ui/events}.
 *
 * @param viewer the reviewer
 * @param items the open requests of the reviewer's groups with the soonest deadlines, soonest first
 * @param total how many requests of the reviewer's groups are open (more than shown when the inbox
 *     is longer than a page)
 * @param votedOn actions the reviewer has already voted on at their current level and version
 * @param flash a note on the last action, or null
 * @param now the time
 * @param spotChecks how many spot checks of auto-approved actions wait for the reviewer's groups
 *     (a list of their own, linked from the inbox; none of them blocks anything)
 */
public record InboxPage(
        Viewer viewer, List<Summary> items, int total, Set<String> votedOn, String flash, Instant now, int spotChecks)
        implements Page {

    /**
     * @param viewer the reviewer
     * @param items the open requests shown, soonest deadline first
     * @param total how many requests of the reviewer's groups are open
     * @param votedOn actions the reviewer has already voted on
     * @param flash a note on the last action, or null
     * @param now the time
     */
    public InboxPage(
            final Viewer viewer,
            final List<Summary> items,
            final int total,
            final Set<String> votedOn,
            final String flash,
            final Instant now) {
        this(viewer, items, total, votedOn, flash, now, 0);
    }

    /**
     * @param viewer the reviewer
     * @param items every open request of the reviewer's groups, soonest deadline first
     * @param votedOn actions the reviewer has already voted on
     * @param flash a note on the last action, or null
     * @param now the time
     */
    public InboxPage(
            final Viewer viewer,
            final List<Summary> items,
            final Set<String> votedOn,
            final String flash,
            final Instant now) {
        this(viewer, items, items.size(), votedOn, flash, now, 0);
    }

    @Override
    public String template() {
        return "inbox/inbox.jte";
    }

    /**
     * @return the inbox's lines: a request alone, or all open requests of one batch together (in
     *     deadline order)
     */
    public List<List<Summary>> lines() {
        final Map<String, List<Summary>> lines = new LinkedHashMap<>();
        for (final Summary s : items) {
            final String key = s.batchId() == null ? "a:" + s.actionId() : "b:" + s.batchId();
            lines.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
        }
        return List.copyOf(lines.values());
    }
}
