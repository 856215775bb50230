package dev.hitl.audit.verify;

import dev.hitl.audit.chain.ChainVerifier;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One verification of the audit log, fed its records partition by partition in offset order: each
 * partition's chain ({@link ChainVerifier}, up to its first break) and the decisions of the records
 * whose link verified ({@link DecisionSignatures}). It reads nothing itself: {@link
 * AuditLogVerifier} feeds it from the broker, the tests from records in memory.
 *
 * <p>Each partition's state is its own, so once every partition read is {@linkplain #start
 * started}, different partitions may be fed from different threads at once (one thread per
 * partition); {@link #report} is called after they are done.
 */
public final class LogVerification {

    /** One partition's chain and the decisions read from it. */
    private record Partition(ChainVerifier chain, DecisionSignatures decisions) {}

    private final Map<Integer, Partition> partitions = new TreeMap<>();
    private final DecisionKeys.PublicKeys decisionKeys;

    /** @param decisionKeys the deciders' public keys, or null to skip checking decisions */
    public LogVerification(final DecisionKeys.PublicKeys decisionKeys) {
        this.decisionKeys = decisionKeys;
    }

    /**
     * Starts a partition's chain; call it for every partition read, before its records.
     *
     * @param partition the partition
     * @param fromStart true when reading from its first record (anchored at sequence 0 and the
     *     genesis hash), false for a range that takes its first record's link on trust
     */
    public void start(final int partition, final boolean fromStart) {
        partitions.put(
                partition,
                new Partition(
                        fromStart ? ChainVerifier.fromStart(partition) : ChainVerifier.startingAnywhere(partition),
                        DecisionSignatures.with(decisionKeys)));
    }

    /**
     * @param partition the partition the record was read from (started)
     * @param offset its offset
     * @param record the next record of that partition
     * @return true while the partition's chain holds; false once it is broken (stop reading it)
     */
    public boolean accept(final int partition, final long offset, final AuditRecord record) {
        final Partition p = partitions.get(partition);
        if (p.chain().accept(offset, record).isPresent()) {
            return false;
        }
        p.decisions().accept(partition, offset, record);
        return true;
    }

    /**
     * @param partition the partition
     * @param offset the offset of a record that could not be read as an AuditRecord
     * @param error why
     */
    public void unreadable(final int partition, final long offset, final String error) {
        partitions.get(partition).chain().unreadable(offset, error);
    }

    /**
     * @return the report over everything fed so far; findings are listed partition by partition, in
     *     offset order within each
     */
    public VerificationReport report() {
        long checked = 0;
        ChainVerifier.Break first = null;
        final List<DecisionSignatures> decisions = new ArrayList<>();
        for (final Partition p : partitions.values()) {
            checked += p.chain().recordsChecked();
            if (first == null && p.chain().firstBreak().isPresent()) {
                first = p.chain().firstBreak().get();
            }
            decisions.add(p.decisions());
        }
        return VerificationReport.of(
                partitions.size(),
                checked,
                first == null ? null : VerificationReport.BrokenLink.of(first),
                DecisionSignatures.report(decisionKeys, decisions));
    }
}
