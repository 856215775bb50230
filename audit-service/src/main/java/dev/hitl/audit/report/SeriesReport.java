package dev.hitl.audit.report;

import java.util.List;
import java.util.Map;

/**
 * The calibration over time: the range cut into buckets of equal length, each with the counts the
 * {@link CalibrationReport} gives for its own range, so a chart can show how auto-approval, the
 * outcomes and the time to a decision move. Every bucket of the range is listed, empty ones too.
 *
 * @param from the start of the first bucket (inclusive)
 * @param to the end of the range (exclusive; the last bucket may be cut short by it)
 * @param bucket the length of a bucket, ISO-8601 (e.g. {@code PT1H}, {@code P1D})
 * @param buckets the buckets, oldest first
 */
public record SeriesReport(String from, String to, String bucket, List<Bucket> buckets) {

    /**
     * One bucket: the records whose occurredAt lies in [start, end), counted as in the calibration
     * report.
     *
     * @param start the bucket's start (inclusive)
     * @param end its end (exclusive)
     * @param proposed PROPOSED records
     * @param autoApproved actions with an AUTO_APPROVED record in the bucket
     * @param sentToHumans actions with a PENDING record in the bucket
     * @param autoApprovalRatio autoApproved / (autoApproved + sentToHumans), or null when both are 0
     * @param outcomes DECIDED records per outcome
     * @param timeToDecision the human decisions (APPROVED, MODIFIED, REJECTED) of the bucket: from
     *     their action's first REQUESTED (else PENDING, else PROPOSED, which may lie in an earlier
     *     bucket) to the decision
     */
    public record Bucket(
            String start,
            String end,
            long proposed,
            long autoApproved,
            long sentToHumans,
            Double autoApprovalRatio,
            Map<String, Long> outcomes,
            CalibrationReport.Durations timeToDecision) {}
}
