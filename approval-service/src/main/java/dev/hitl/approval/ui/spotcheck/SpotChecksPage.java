package dev.hitl.approval.ui.spotcheck;

import dev.hitl.approval.api.SpotCheckSummary;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.util.List;

/**
 * The spot checks waiting for the reviewer's groups ("should these have been auto-approved?"): a
 * list of its own, apart from the approval inbox; nothing in it waits for the reviewer.
 *
 * @param viewer the reviewer
 * @param items the open spot checks of the reviewer's groups, sampled longest ago first
 * @param flash a note on the last answer, or null
 */
public record SpotChecksPage(Viewer viewer, List<SpotCheckSummary> items, String flash) implements Page {

    @Override
    public String template() {
        return "spotcheck/list.jte";
    }
}
