package dev.hitl.approval.ui.spotcheck;

import dev.hitl.approval.api.SpotCheckDetail;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.time.Instant;

/**
 * One spot check: the action as it was auto-approved and ran, the rules that approved it, why it was
 * sampled, and the two answers.
 *
 * @param viewer the reviewer
 * @param detail the spot check with the action
 * @param prettyArguments the arguments it ran with, pretty-printed
 * @param error why the last answer did not count, or null
 * @param renderedAt when the page was rendered (for the time on card)
 */
public record SpotCheckPage(
        Viewer viewer, SpotCheckDetail detail, String prettyArguments, String error, Instant renderedAt)
        implements Page {

    @Override
    public String template() {
        return "spotcheck/card.jte";
    }
}
