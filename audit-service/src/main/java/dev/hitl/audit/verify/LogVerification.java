package dev.hitl.audit.verify;

import dev.hitl.audit.chain.ChainVerifier;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.util.Map;
import java.util.TreeMap;

/**
 * One verification of the audit log, fed its records partition by partition in offset order: each
 * partition's chain ({@link ChainVerifier}, up to its first break) and the decisions of the records
 * whose link verified ({@link DecisionSignatures}). It reads nothing itself: {@link
 * AuditLogVerifier} feeds it from the broker, the tests from records in memory.
 */
public final class LogVerification {

    private final Map<Integer, ChainVerifier> chains = new TreeMap<>();
    private final DecisionSignatures decisions;

    /** @param decisionKeys the deciders' public keys, or null to skip checking decisions */
    public LogVerification(final DecisionKeys.PublicKeys decisionKeys) {
        this.decisions = DecisionSignatures.with(decisionKeys);
    }

    /**
     * Starts a partition's chain; call it for every partition read, before its records.
     *
     * @param partition the partition
     * @param fromStart true when reading from its first record (anchored at sequence 0 and the
     *     genesis hash), false for a range that takes its first record's link on trust
     */
    public void start(final int partition, final boolean fromStart) {
        chains.put(
                partition, fromStart ? ChainVerifier.fromStart(partition) : ChainVerifier.startingAnywhere(partition));
    }

    /**
     * @param partition the partition the record was read from (started)
     * @param offset its offset
     * @param record the next record of that partition
     * @return true while the partition's chain holds; false once it is broken (stop reading it)
     */
    public boolean accept(final int partition, final long offset, final AuditRecord record) {
        if (chains.get(partition).accept(offset, record).isPresent()) {
            return false;
        }
        decisions.accept(partition, offset, record);
        return true;
    }

    /**
     * @param partition the partition
     * @param offset the offset of a record that could not be read as an AuditRecord
     * @param error why
     */
    public void unreadable(final int partition, final long offset, final String error) {
        chains.get(partition).unreadable(offset, error);
    }

    /** @return the report over everything fed so far */
    public VerificationReport report() {
        long checked = 0;
        ChainVerifier.Break first = null;
        for (final ChainVerifier chain : chains.values()) {
            checked += chain.recordsChecked();
            if (first == null && chain.firstBreak().isPresent()) {
                first = chain.firstBreak().get();
            }
        }
        return VerificationReport.of(
                chains.size(),
                checked,
                first == null ? null : VerificationReport.BrokenLink.of(first),
                decisions.report());
    }
}
