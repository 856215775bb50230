package dev.hitl.approval.ui.card;

import dev.hitl.approval.api.Detail;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.time.Instant;

/**
 * A request's card: everything a reviewer needs to decide, and the vote forms. A modified version
 * of the action is marked as asked again, with who modified it, why, and each change against the
 * agent's original.
 *
 * @param viewer the reviewer
 * @param detail the request with its context
 * @param prettyArguments the arguments to approve, pretty-printed
 * @param earlierVote the earlier version of the action the reviewer voted on (that vote no longer
 *     counts), or null
 * @param error why the last vote did not count, or null
 * @param renderedAt when the card was rendered (for the time on card)
 */
public record CardPage(
        Viewer viewer, Detail detail, String prettyArguments, Integer earlierVote, String error, Instant renderedAt)
        implements Page {

    /**
     * @param viewer the reviewer
     * @param detail the request with its context
     * @param prettyArguments the arguments to approve, pretty-printed
     * @param error why the last vote did not count, or null
     * @param renderedAt when the card was rendered
     */
    public CardPage(
            final Viewer viewer,
            final Detail detail,
            final String prettyArguments,
            final String error,
            final Instant renderedAt) {
        this(viewer, detail, prettyArguments, null, error, renderedAt);
    }

    @Override
    public String template() {
        return "card/card.jte";
    }
}
