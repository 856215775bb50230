package dev.hitl.audit.verify;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hitl.audit.chain.ChainVerifier;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The answer of a verification: whether every chain read verified and every decision that let an
 * action run carries a valid signature, how many records were checked, the first broken link (the
 * lowest partition with one), if any, and what checking the decisions found.
 *
 * @param ok true when no link is broken and the decisions did not fail ({@link Decisions#status})
 * @param partitionsChecked how many partitions were read
 * @param recordsChecked how many records were checked
 * @param firstBroken the first broken link, or null
 * @param decisions what checking the decisions' signatures found
 */
@Serdeable
public record VerificationReport(
        boolean ok,
        int partitionsChecked,
        long recordsChecked,
        @JsonInclude(JsonInclude.Include.ALWAYS) @Nullable BrokenLink firstBroken,
        Decisions decisions,
        Checkpoints checkpoints) {

    /**
     * @param partitionsChecked how many partitions were read
     * @param recordsChecked how many records were checked
     * @param firstBroken the first broken link, or null
     * @param decisions what checking the decisions found
     * @return the report, ok when neither failed
     */
    public static VerificationReport of(
            final int partitionsChecked,
            final long recordsChecked,
            final BrokenLink firstBroken,
            final Decisions decisions) {
        return new VerificationReport(
                firstBroken == null && !DecisionSignatures.Status.FAILED.name().equals(decisions.status()),
                partitionsChecked,
                recordsChecked,
                firstBroken,
                decisions,
                Checkpoints.SKIPPED);
    }

    /**
     * @param checked what checking the chains against the signed checkpoints found
     * @return this report with it, not ok when it failed
     */
    public VerificationReport withCheckpoints(final Checkpoints checked) {
        return new VerificationReport(
                ok && !"FAILED".equals(checked.status()),
                partitionsChecked,
                recordsChecked,
                firstBroken,
                decisions,
                checked);
    }

    /**
     * What checking the chains against the audit service's signed checkpoints found (audit-service
     * README, "Signed checkpoints").
     *
     * @param status SKIPPED (no checkpoint keys given), VERIFIED or FAILED
     * @param sources where the checkpoints were read from: the checkpoint topic, a directory
     * @param trustedKeyIds the ids of the checkpoint keys trusted
     * @param read how many checkpoints were read
     * @param checked how many partitions were checked against their latest valid checkpoint
     * @param refused how many checkpoints were refused (signature not valid: forged or changed)
     * @param findings the first {@value dev.hitl.audit.checkpoint.CheckpointCheck#MAX_LISTED} problems
     */
    @Serdeable
    public record Checkpoints(
            String status,
            List<String> sources,
            List<String> trustedKeyIds,
            long read,
            long checked,
            long refused,
            List<CheckpointFinding> findings) {

        /** Not checked. */
        public static final Checkpoints SKIPPED = new Checkpoints("SKIPPED", List.of(), List.of(), 0, 0, 0, List.of());
    }

    /**
     * One problem found against a checkpoint.
     *
     * @param partition the chain
     * @param problem {@code CUT_TAIL} (the log ends before the checkpoint's sequence), {@code
     *     REWRITTEN_TAIL} (the record at the checkpoint's sequence has another hash), or {@code
     *     CHECKPOINT_BAD_SIGNATURE}, {@code CHECKPOINT_UNKNOWN_KEY}, {@code
     *     CHECKPOINT_UNSUPPORTED_ALGORITHM} (a checkpoint refused)
     * @param sequence the checkpoint's sequence
     * @param hash the checkpoint's hash
     * @param foundHash the hash the log holds at that sequence (REWRITTEN_TAIL), or null
     * @param logLastSequence the last sequence of the chain read, or null when none
     * @param origin where a refused checkpoint was read, or null
     */
    @Serdeable
    public record CheckpointFinding(
            int partition,
            String problem,
            long sequence,
            String hash,
            @Nullable String foundHash,
            @Nullable Long logLastSequence,
            @Nullable String origin) {

        /** @return a line for people */
        public String describe() {
            return "partition " + partition + ": " + problem + " at sequence " + sequence
                    + (foundHash == null ? "" : " (checkpoint hash " + hash + ", log hash " + foundHash + ")")
                    + (problem.equals("CUT_TAIL") ? " (the log ends at sequence " + logLastSequence + ")" : "")
                    + (origin == null ? "" : " [" + origin + "]");
        }
    }

    /**
     * What checking the decisions of the records read (the DECIDED records up to each chain's first
     * break) found.
     *
     * @param status SKIPPED (no trusted keys given), VERIFIED or FAILED
     * @param trustedKeyIds the ids of the public keys trusted
     * @param checked how many decisions were checked
     * @param results how many decisions per result: VALID, LEGACY, UNSIGNED, UNSUPPORTED_ALGORITHM,
     *     UNKNOWN_KEY, BAD_SIGNATURE, ARGUMENTS_MISMATCH, RECORD_MISMATCH, UNREADABLE
     * @param failed how many decisions failed the verification
     * @param failures the first {@value DecisionSignatures#MAX_LISTED} of them, in reading order
     * @param legacyAllowingRun the first {@value DecisionSignatures#MAX_LISTED} legacy decisions
     *     that let an action run, in reading order: accepted as recorded, named for the reader
     */
    @Serdeable
    public record Decisions(
            String status,
            List<String> trustedKeyIds,
            long checked,
            Map<String, Long> results,
            long failed,
            List<DecisionFinding> failures,
            List<DecisionFinding> legacyAllowingRun) {

        /** @return how many legacy (HmacSHA256) decisions were read */
        long legacyCount() {
            return results.getOrDefault("LEGACY", 0L);
        }
    }

    /**
     * A decision the report names: one that fails the verification, or a legacy one.
     *
     * @param partition the audit-log partition
     * @param offset the offset of its DECIDED record
     * @param actionId the action the record names
     * @param outcome the decision's outcome, or null when unreadable
     * @param signatureKeyId the key id the decision names, or null
     * @param result what was found (a {@code DecisionVerifier.Result}, RECORD_MISMATCH or UNREADABLE)
     * @param reason what that means, as a sentence
     */
    @Serdeable
    public record DecisionFinding(
            int partition,
            long offset,
            @Nullable String actionId,
            @Nullable String outcome,
            @Nullable String signatureKeyId,
            String result,
            String reason) {

        /** @return the failure as one line for people */
        public String describe() {
            return "partition " + partition + " offset " + offset + " action " + actionId
                    + (outcome == null ? "" : " (" + outcome + ")") + ": " + result + ": " + reason;
        }
    }

    /**
     * One broken link.
     *
     * @param partition the audit-log partition
     * @param offset the offset of the offending record
     * @param expected what was expected (a hash, or a sequence number for sequence problems)
     * @param found what the record carries
     * @param problem what is wrong (see {@link ChainVerifier.Problem})
     */
    @Serdeable
    public record BrokenLink(int partition, long offset, String expected, String found, String problem) {

        static BrokenLink of(final ChainVerifier.Break b) {
            return new BrokenLink(
                    b.partition(),
                    b.offset(),
                    b.expected(),
                    b.found(),
                    b.problem().name());
        }
    }

    /**
     * @return the report for people: one line, then one line per listed decision that failed and
     *     per listed legacy decision that let an action run
     */
    public String describe() {
        final StringBuilder out = new StringBuilder(ok ? "OK: " : "BROKEN: ");
        if (firstBroken == null) {
            out.append(recordsChecked)
                    .append(" records in ")
                    .append(partitionsChecked)
                    .append(" partition(s)");
            out.append(ok ? " verified" : " checked");
        } else {
            out.append("partition ")
                    .append(firstBroken.partition())
                    .append(" offset ")
                    .append(firstBroken.offset())
                    .append(": ")
                    .append(firstBroken.problem())
                    .append(" (expected ")
                    .append(firstBroken.expected())
                    .append(", found ")
                    .append(firstBroken.found())
                    .append("); ")
                    .append(recordsChecked)
                    .append(" records checked");
        }
        out.append("; ").append(describe(decisions));
        out.append("; checkpoints ").append(checkpoints.status());
        if (!"SKIPPED".equals(checkpoints.status())) {
            out.append(": ")
                    .append(checkpoints.checked())
                    .append(" partition(s) checked against ")
                    .append(checkpoints.read())
                    .append(" checkpoint(s) from ")
                    .append(checkpoints.sources());
        }
        for (final CheckpointFinding finding : checkpoints.findings()) {
            out.append(System.lineSeparator()).append("  ").append(finding.describe());
        }
        for (final DecisionFinding failure : decisions.failures()) {
            out.append(System.lineSeparator()).append("  ").append(failure.describe());
        }
        if (decisions.failed() > decisions.failures().size()) {
            out.append(System.lineSeparator())
                    .append("  ... and ")
                    .append(decisions.failed() - decisions.failures().size())
                    .append(" more");
        }
        for (final DecisionFinding legacy : decisions.legacyAllowingRun()) {
            out.append(System.lineSeparator())
                    .append("  legacy HmacSHA256, accepted as recorded: partition ")
                    .append(legacy.partition())
                    .append(" offset ")
                    .append(legacy.offset())
                    .append(" action ")
                    .append(legacy.actionId())
                    .append(" (")
                    .append(legacy.outcome())
                    .append(", key ")
                    .append(legacy.signatureKeyId())
                    .append(')');
        }
        return out.toString();
    }

    private static String describe(final Decisions d) {
        if (DecisionSignatures.Status.SKIPPED.name().equals(d.status())) {
            return "decision signatures not checked (no trusted decision keys given)";
        }
        final String counts = d.results().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        return "decisions " + d.status() + ": " + d.checked() + " checked with keys " + d.trustedKeyIds()
                + (counts.isEmpty() ? "" : " (" + counts + ")")
                + (d.legacyCount() > 0
                        ? ", " + d.legacyCount() + " legacy HmacSHA256 decision(s) accepted as recorded"
                        : "")
                + (d.failed() > 0 ? ", " + d.failed() + " failed" : "");
    }
}
