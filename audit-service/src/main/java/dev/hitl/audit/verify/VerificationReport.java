package dev.hitl.audit.verify;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.hitl.audit.chain.ChainVerifier;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * The answer of a verification: whether every chain read verified, how many records were checked,
 * and the first broken link (the lowest partition with one), if any.
 *
 * @param ok true when no link is broken
 * @param partitionsChecked how many partitions were read
 * @param recordsChecked how many records were checked
 * @param firstBroken the first broken link, or null
 */
@Serdeable
public record VerificationReport(
        boolean ok,
        int partitionsChecked,
        long recordsChecked,
        @JsonInclude(JsonInclude.Include.ALWAYS) @Nullable BrokenLink firstBroken) {

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

    /** @return the report as one line for people */
    public String describe() {
        if (ok) {
            return "OK: " + recordsChecked + " records in " + partitionsChecked + " partition(s) verified";
        }
        return "BROKEN: partition " + firstBroken.partition() + " offset " + firstBroken.offset() + ": "
                + firstBroken.problem() + " (expected " + firstBroken.expected() + ", found " + firstBroken.found()
                + "); " + recordsChecked + " records checked";
    }
}
