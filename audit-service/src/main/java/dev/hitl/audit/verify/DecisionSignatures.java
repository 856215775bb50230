package dev.hitl.audit.verify;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.audit.chain.AvroFromJson;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the decision in every {@code DECIDED} record of the audit log with the deciders' public
 * keys: the record's payload is read back into the {@link Decision} it was made from and handed to
 * {@link DecisionVerifier}. The hash chain proves the log was not changed after it was written; this
 * proves that every decision that let an action run was made by a decider, even against someone who
 * rewrote the log and recomputed its hashes.
 *
 * <p>Each decision is counted under its {@link DecisionVerifier.Result}. A decision that allowed the
 * action to run (AUTO_APPROVED, APPROVED, MODIFIED) fails the verification unless it is VALID or
 * LEGACY: LEGACY decisions (HmacSHA256, signed before Ed25519) stay in the log as they were and are
 * counted and named (the first {@value #MAX_LISTED} that let an action run are listed with their
 * position), not failed. Their signatures cannot be checked: a legacy decision is accepted on its
 * algorithm's name, so the list is where a reader spots one that should not be there (one decided
 * after the deciders moved to Ed25519). Two more results belong to the log rather than the signature: {@value
 * #UNREADABLE} (the payload is not a decision: not JSON, duplicate member names, a field of the
 * wrong type) and {@value #RECORD_MISMATCH} (the record's actionId, agentId, actor, occurredAt or
 * policyVersion are not those of the decision it carries, e.g. a real approval of another action
 * copied into this record). An UNREADABLE decision fails whatever its outcome, since its outcome
 * cannot be trusted; the others fail only when the decision allowed running (a decision that let
 * nothing run is counted, not failed).
 *
 * <p>Without trusted keys nothing is checked and the report says so ({@link Status#SKIPPED}).
 */
public final class DecisionSignatures {

    /** How many failing decisions a report lists (all of them are counted). */
    public static final int MAX_LISTED = 100;

    /** The payload of a DECIDED record cannot be read as a decision. */
    public static final String UNREADABLE = "UNREADABLE";

    /** The record's own fields do not match the decision in its payload. */
    public static final String RECORD_MISMATCH = "RECORD_MISMATCH";

    /** The event type of decisions in the log. */
    static final String DECIDED = "DECIDED";

    /** Refuses duplicate member names, so a payload cannot mean one thing here and another elsewhere. */
    private static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private static final Set<Outcome> RUNNING = Set.of(Outcome.AUTO_APPROVED, Outcome.APPROVED, Outcome.MODIFIED);

    /** The verdict on the decisions read. */
    public enum Status {
        /** No trusted keys were given: decision signatures were not checked. */
        SKIPPED,
        /** Every decision that allowed running verified (or is legacy). */
        VERIFIED,
        /** At least one decision that allowed running did not verify, or a decision was unreadable. */
        FAILED
    }

    private final DecisionVerifier verifier;
    private final Map<String, Long> results = new TreeMap<>();
    private final List<VerificationReport.DecisionFinding> failures = new ArrayList<>();
    private final List<VerificationReport.DecisionFinding> legacy = new ArrayList<>();
    private long checked;
    private long failed;

    private DecisionSignatures(final DecisionVerifier verifier) {
        this.verifier = verifier;
    }

    /**
     * @param keys the trusted public keys, or null to skip the check
     * @return a check of the decisions with these keys
     */
    public static DecisionSignatures with(final DecisionKeys.PublicKeys keys) {
        return new DecisionSignatures(keys == null ? null : new DecisionVerifier(keys));
    }

    /**
     * @param partition the audit-log partition the record was read from
     * @param offset its offset
     * @param record a record whose chain link verified; records of other types are ignored
     */
    public void accept(final int partition, final long offset, final AuditRecord record) {
        if (verifier == null || !DECIDED.equals(record.getEventType())) {
            return;
        }
        checked++;
        final Decision decision;
        try {
            decision = read(record.getPayload());
        } catch (IllegalArgumentException e) {
            count(UNREADABLE);
            fail(partition, offset, record, null, UNREADABLE, "the payload is not a decision: " + e.getMessage());
            return;
        }
        final DecisionVerifier.Result result = verifier.verify(decision);
        final boolean running = RUNNING.contains(decision.getOutcome());
        if (result == DecisionVerifier.Result.VALID || result == DecisionVerifier.Result.LEGACY) {
            final String mismatch = mismatch(record, decision);
            if (mismatch != null) {
                count(RECORD_MISMATCH);
                if (running) {
                    fail(partition, offset, record, decision, RECORD_MISMATCH, mismatch);
                }
                return;
            }
        }
        count(result.name());
        if (running && result == DecisionVerifier.Result.LEGACY && legacy.size() < MAX_LISTED) {
            legacy.add(finding(partition, offset, record, decision, result.name(), result.describe()));
        } else if (running && result != DecisionVerifier.Result.VALID && result != DecisionVerifier.Result.LEGACY) {
            fail(partition, offset, record, decision, result.name(), result.describe());
        }
    }

    /** @return what was found */
    public VerificationReport.Decisions report() {
        return report(verifier == null ? null : verifier.keys(), List.of(this));
    }

    /**
     * @param keys the trusted public keys all of them checked with, or null when none checked
     * @param parts checks of disjoint parts of the log (e.g. one per partition), in the order their
     *     findings are to be listed
     * @return what they found together: counts summed, the first {@value #MAX_LISTED} findings of
     *     each list in the order of the parts
     */
    public static VerificationReport.Decisions report(
            final DecisionKeys.PublicKeys keys, final Collection<DecisionSignatures> parts) {
        if (keys == null) {
            return new VerificationReport.Decisions(
                    Status.SKIPPED.name(), List.of(), 0, Map.of(), 0, List.of(), List.of());
        }
        long checked = 0;
        long failed = 0;
        final Map<String, Long> results = new TreeMap<>();
        final List<VerificationReport.DecisionFinding> failures = new ArrayList<>();
        final List<VerificationReport.DecisionFinding> legacy = new ArrayList<>();
        for (final DecisionSignatures part : parts) {
            checked += part.checked;
            failed += part.failed;
            part.results.forEach((result, n) -> results.merge(result, n, Long::sum));
            failures.addAll(part.failures.subList(0, Math.min(part.failures.size(), MAX_LISTED - failures.size())));
            legacy.addAll(part.legacy.subList(0, Math.min(part.legacy.size(), MAX_LISTED - legacy.size())));
        }
        return new VerificationReport.Decisions(
                (failed == 0 ? Status.VERIFIED : Status.FAILED).name(),
                List.copyOf(new TreeSet<>(keys.byId().keySet())),
                checked,
                Collections.unmodifiableMap(results),
                failed,
                List.copyOf(failures),
                List.copyOf(legacy));
    }

    /**
     * @param payload a DECIDED record's payload (the decision as canonical JSON, possibly with the
     *     audit log's {@code modification} member, which is not part of the decision)
     * @return the decision
     * @throws IllegalArgumentException when the payload is not one
     */
    static Decision read(final String payload) {
        final JsonNode tree;
        try {
            tree = STRICT.readTree(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return AvroFromJson.read(tree, Decision.class);
    }

    /** The record's fields are derived from its decision (README, "What is recorded"). */
    private static String mismatch(final AuditRecord record, final Decision decision) {
        if (!Objects.equals(record.getActionId(), decision.getActionId())) {
            return "the record names action " + record.getActionId() + " but carries the decision of action "
                    + decision.getActionId();
        }
        if (!Objects.equals(record.getAgentId(), decision.getAgentId())) {
            return "the record names agent " + record.getAgentId() + " but its decision names agent "
                    + decision.getAgentId();
        }
        if (!Objects.equals(record.getActor(), decision.getDecidedBy())) {
            return "the record's actor " + record.getActor() + " is not the decision's decidedBy "
                    + decision.getDecidedBy();
        }
        if (!Objects.equals(record.getOccurredAt(), decision.getDecidedAt())) {
            return "the record's occurredAt is not the decision's decidedAt";
        }
        if (!Objects.equals(record.getPolicyVersion(), decision.getPolicyVersion())) {
            return "the record's policyVersion is not the decision's";
        }
        return null;
    }

    private void count(final String result) {
        results.merge(result, 1L, Long::sum);
    }

    private void fail(
            final int partition,
            final long offset,
            final AuditRecord record,
            final Decision decision,
            final String result,
            final String reason) {
        failed++;
        if (failures.size() < MAX_LISTED) {
            failures.add(finding(partition, offset, record, decision, result, reason));
        }
    }

    private static VerificationReport.DecisionFinding finding(
            final int partition,
            final long offset,
            final AuditRecord record,
            final Decision decision,
            final String result,
            final String reason) {
        return new VerificationReport.DecisionFinding(
                partition,
                offset,
                record.getActionId(),
                decision == null ? null : decision.getOutcome().name(),
                decision == null ? null : decision.getSignatureKeyId(),
                result,
                reason);
    }
}
