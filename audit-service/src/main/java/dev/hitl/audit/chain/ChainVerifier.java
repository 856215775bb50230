package dev.hitl.audit.chain;

import dev.hitl.schemas.AuditRecord;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies the chain of one partition of {@code hitl.audit.log}, fed its records in offset order,
 * and stops at the first broken link. Each record must carry the partition's number, hash version
 * {@value AuditHashing#HASH_VERSION}, the hash of its own canonical encoding (else it was altered),
 * the next sequence number (else records are missing, repeated or out of order) and the previous
 * record's hash as prevHash (else the chain was cut or rewritten).
 *
 * <p>Verifying from the start of the partition anchors the chain at sequence 0 and the genesis
 * hash; verifying a range ({@link #startingAnywhere}) takes the first record's sequence and
 * prevHash on trust and checks everything after it.
 */
public final class ChainVerifier {

    /** What is wrong with a record. */
    public enum Problem {
        /** The record names another partition than the one it was read from. */
        WRONG_PARTITION,
        /** The record's hash version is not one this verifier knows. */
        UNKNOWN_HASH_VERSION,
        /** The record's hash is not the hash of its content: the record was altered. */
        HASH_MISMATCH,
        /** The sequence jumps ahead: records are missing (removed) or were moved. */
        SEQUENCE_GAP,
        /** The sequence goes back or repeats: records were reordered or duplicated. */
        SEQUENCE_OUT_OF_ORDER,
        /** The record's prevHash is not the previous record's hash: the chain was cut or rewritten. */
        PREV_HASH_MISMATCH,
        /** The record cannot be read as an AuditRecord at all (its bytes were altered). */
        UNREADABLE
    }

    /**
     * The first broken link.
     *
     * @param partition the partition
     * @param offset the offset of the offending record
     * @param problem what is wrong
     * @param expected what the verifier expected (a hash, or a sequence number for sequence problems)
     * @param found what the record carries
     */
    public record Break(int partition, long offset, Problem problem, String expected, String found) {}

    private final int partition;
    private boolean anchored;
    private long nextSequence;
    private String lastHash;
    private long checked;
    private Break broken;

    private ChainVerifier(final int partition, final boolean fromStart) {
        this.partition = partition;
        this.anchored = fromStart;
        this.nextSequence = 0;
        this.lastHash = AuditHashing.GENESIS;
    }

    /**
     * @param partition the partition whose records follow, from its first record
     * @return a verifier anchored at sequence 0 and the genesis hash
     */
    public static ChainVerifier fromStart(final int partition) {
        return new ChainVerifier(partition, true);
    }

    /**
     * @param partition the partition whose records follow, from any record
     * @return a verifier that takes the first record's sequence and prevHash as given
     */
    public static ChainVerifier startingAnywhere(final int partition) {
        return new ChainVerifier(partition, false);
    }

    /**
     * @param offset the record's offset in the partition
     * @param record the next record, in offset order
     * @return the break this record causes, if any; once broken, later records are not checked
     */
    public Optional<Break> accept(final long offset, final AuditRecord record) {
        if (broken != null) {
            return Optional.of(broken);
        }
        checked++;
        broken = check(offset, record);
        if (broken == null) {
            anchored = true;
            nextSequence = record.getSequence() + 1;
            lastHash = record.getHash();
        }
        return Optional.ofNullable(broken);
    }

    private Break check(final long offset, final AuditRecord record) {
        if (record.getPartition() != partition) {
            return new Break(
                    partition,
                    offset,
                    Problem.WRONG_PARTITION,
                    Integer.toString(partition),
                    Integer.toString(record.getPartition()));
        }
        if (record.getHashVersion() != AuditHashing.HASH_VERSION) {
            return new Break(
                    partition,
                    offset,
                    Problem.UNKNOWN_HASH_VERSION,
                    Integer.toString(AuditHashing.HASH_VERSION),
                    Integer.toString(record.getHashVersion()));
        }
        final String computed = AuditHashing.hash(record);
        if (!computed.equals(record.getHash())) {
            return new Break(partition, offset, Problem.HASH_MISMATCH, computed, record.getHash());
        }
        if (anchored && record.getSequence() != nextSequence) {
            return new Break(
                    partition,
                    offset,
                    record.getSequence() > nextSequence ? Problem.SEQUENCE_GAP : Problem.SEQUENCE_OUT_OF_ORDER,
                    Long.toString(nextSequence),
                    Long.toString(record.getSequence()));
        }
        if (anchored && !Objects.equals(lastHash, record.getPrevHash())) {
            return new Break(partition, offset, Problem.PREV_HASH_MISMATCH, lastHash, record.getPrevHash());
        }
        return null;
    }

    /**
     * Records a record that could not be read: the chain is broken there.
     *
     * @param offset its offset
     * @param error why it could not be read
     * @return the break
     */
    public Break unreadable(final long offset, final String error) {
        if (broken == null) {
            checked++;
            broken = new Break(partition, offset, Problem.UNREADABLE, "an AuditRecord", error);
        }
        return broken;
    }

    /** @return the partition verified */
    public int partition() {
        return partition;
    }

    /** @return how many records were checked (including a broken one) */
    public long recordsChecked() {
        return checked;
    }

    /** @return the first broken link, if any */
    public Optional<Break> firstBreak() {
        return Optional.ofNullable(broken);
    }

    /** @return the hash of the last record that verified (the genesis hash before any) */
    public String lastHash() {
        return lastHash;
    }

    /** @return the sequence number the next record must carry (once anchored) */
    public long nextSequence() {
        return nextSequence;
    }
}
