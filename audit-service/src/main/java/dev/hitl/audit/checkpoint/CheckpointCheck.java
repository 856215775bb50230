package dev.hitl.audit.checkpoint;

import dev.hitl.audit.verify.VerificationReport;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.integrity.CheckpointVerifier;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks the chains read by a verification against the latest signed checkpoint of each partition.
 * Checkpoints whose signature does not verify with the trusted keys are reported and not used. For a
 * partition whose latest checkpoint is at sequence s with hash h: when the log's record at s carries
 * another hash, the tail was rewritten ({@code REWRITTEN_TAIL}); when the log ends before s, it was
 * cut ({@code CUT_TAIL}).
 */
public final class CheckpointCheck {

    /** Most findings listed in a report. */
    public static final int MAX_LISTED = 20;

    private final Set<String> sources;
    private final List<String> keyIds;
    private final Map<Integer, AuditCheckpoint> latest = new HashMap<>();
    // Fed from one thread per partition (a verification reads partitions in parallel).
    private final Map<Integer, Long> lastSequence = new ConcurrentHashMap<>();
    private final Map<Integer, String> hashAtCheckpoint = new ConcurrentHashMap<>();
    private final List<VerificationReport.CheckpointFinding> findings = new ArrayList<>();
    private long refused;
    private long read;

    /**
     * @param checkpoints every checkpoint found (topic and external copies), of the audit topic read
     * @param keys the trusted public checkpoint keys
     * @param sources where they were read from (for the report)
     */
    public CheckpointCheck(
            final List<CheckpointSource.Found> checkpoints,
            final DecisionKeys.PublicKeys keys,
            final Set<String> sources) {
        this.sources = new TreeSet<>(sources);
        this.keyIds = List.copyOf(new TreeSet<>(keys.byId().keySet()));
        for (final CheckpointSource.Found found : checkpoints) {
            read++;
            final AuditCheckpoint c = found.checkpoint();
            final CheckpointVerifier.Result result = CheckpointVerifier.verify(c, keys);
            if (result != CheckpointVerifier.Result.VALID) {
                refused++;
                add(new VerificationReport.CheckpointFinding(
                        c.getPartition(),
                        "CHECKPOINT_" + result.name(),
                        c.getSequence(),
                        c.getHash(),
                        null,
                        null,
                        found.origin()));
                continue;
            }
            latest.merge(c.getPartition(), c, (a, b) -> b.getSequence() > a.getSequence() ? b : a);
        }
    }

    /**
     * May be called from several threads at once, each for partitions of its own.
     *
     * @param partition the record's partition
     * @param record a record of the chain, in order, whose link verified
     */
    public void accept(final int partition, final AuditRecord record) {
        lastSequence.put(partition, record.getSequence());
        final AuditCheckpoint c = latest.get(partition);
        if (c != null && c.getSequence() == record.getSequence()) {
            hashAtCheckpoint.put(partition, record.getHash());
        }
    }

    /**
     * @param partitions the partitions read
     * @param toTheEnd whether each was read to the end of the committed log (a cut tail can only be
     *     seen then)
     * @return what the check found
     */
    public VerificationReport.Checkpoints report(final Set<Integer> partitions, final boolean toTheEnd) {
        long checked = 0;
        for (final int partition : new TreeSet<>(partitions)) {
            final AuditCheckpoint c = latest.get(partition);
            if (c == null) {
                continue;
            }
            checked++;
            final String found = hashAtCheckpoint.get(partition);
            final Long last = lastSequence.get(partition);
            if (found != null && !found.equals(c.getHash())) {
                add(new VerificationReport.CheckpointFinding(
                        partition, "REWRITTEN_TAIL", c.getSequence(), c.getHash(), found, last, null));
            } else if (found == null && toTheEnd && (last == null || last < c.getSequence())) {
                add(new VerificationReport.CheckpointFinding(
                        partition, "CUT_TAIL", c.getSequence(), c.getHash(), null, last, null));
            }
        }
        final boolean failed = findings.stream().anyMatch(f -> !f.problem().startsWith("CHECKPOINT_")) || refused > 0;
        return new VerificationReport.Checkpoints(
                failed ? "FAILED" : "VERIFIED",
                List.copyOf(sources),
                keyIds,
                read,
                checked,
                refused,
                List.copyOf(findings));
    }

    private void add(final VerificationReport.CheckpointFinding finding) {
        if (findings.size() < MAX_LISTED) {
            findings.add(finding);
        }
    }
}
