package dev.hitl.approval.ui.batch;

import dev.hitl.approval.api.Summary;
import dev.hitl.approval.ui.Page;
import dev.hitl.approval.ui.Viewer;
import java.time.Instant;
import java.util.List;

/**
 * A batch: the summary, representative samples, every request with a checkbox to leave it out,
 * approve all / reject all (reason required).
 *
 * @param viewer the reviewer
 * @param batchId the batch
 * @param summary the batch's summary
 * @param members the open requests the reviewer may vote on, soonest deadline first
 * @param deadline the soonest deadline (ISO-8601), or null
 * @param notVotable requests of the batch the reviewer may not vote on, with why
 * @param prettySamples the samples' arguments, pretty-printed, in the order of the summary's samples
 * @param error why the last vote did not count, or null
 * @param now the time
 */
public record BatchPage(
        Viewer viewer,
        String batchId,
        Batches.Summary summary,
        List<Batches.Member> members,
        String deadline,
        List<Summary> notVotable,
        List<String> prettySamples,
        String error,
        Instant now)
        implements Page {

    /** How many targets the summary names; the rest are counted. */
    public static final int SHOWN_TARGETS = 10;

    @Override
    public String template() {
        return "batch/batch.jte";
    }

    /** @return the first {@value #SHOWN_TARGETS} targets, comma-separated */
    public String shownTargets() {
        return String.join(", ", summary.targets().stream().limit(SHOWN_TARGETS).toList());
    }

    /** @return the requests not in this vote, each with why */
    public String notVotableText() {
        return String.join(
                "; ",
                notVotable.stream()
                        .map(n -> n.actionId() + " (" + n.cannotVoteBecause() + ")")
                        .toList());
    }
}
