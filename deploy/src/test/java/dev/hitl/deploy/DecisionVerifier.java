package dev.hitl.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.deploy.Workload.Kind;
import dev.hitl.deploy.Workload.Planned;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.AuditRecord;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.integrity.CanonicalJson;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.Withdrawals;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The verifier of the fault-tolerance test, reading the topics as any consumer of committed records
 * would ({@code read_committed}, from the beginning):
 *
 * <ul>
 *   <li>{@code hitl.decisions}: every proposal has exactly one decision (none missing, none
 *       doubled, none for an action nobody proposed), with the outcome the reviewer's rule implies
 *       (so a rejected or timed-out action is never approved), a signature that verifies, and
 *       arguments bound by their hash: the proposal's own for an approval, the reviewer's for a
 *       modification, none for an action that must not run;
 *   <li>{@code hitl.actions.auto-approved} (what executors run) holds each auto-approved action
 *       once and nothing else; {@code hitl.approvals.pending} and {@code hitl.approvals.requests}
 *       hold each action for people once;
 *   <li>{@code hitl.audit.log} holds every record of every audited topic exactly once (by its
 *       {@code source}, topic/partition/offset; the voter registry and the votes the escalation
 *       service ignored included) and nothing else, one DECIDED record per action.
 * </ul>
 */
final class DecisionVerifier {

    private static final Duration READ = Duration.ofMinutes(2);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private final String bootstrapServers;
    private final SchemaRegistryClient registry;
    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final dev.hitl.schemas.integrity.DecisionVerifier signatures;
    private final List<Decision> verified = new ArrayList<>();
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Long> stats = new TreeMap<>();
    private final Map<String, Long> withdrawals = new HashMap<>();
    /** The one decision of each action that has exactly one. */
    private final Map<String, Decision> decisionOf = new HashMap<>();

    DecisionVerifier(final String bootstrapServers, final String registryUrl, final java.nio.file.Path decisionKeys) {
        this.bootstrapServers = bootstrapServers;
        this.signatures = new dev.hitl.schemas.integrity.DecisionVerifier(
                dev.hitl.schemas.integrity.DecisionKeys.readPublicKeys(decisionKeys));
        this.registry = HttpSchemaRegistryClient.forUrl(registryUrl);
    }

    /**
     * Checks the decisions and what the classifier and escalation wrote for each planned action.
     *
     * @param planned every action proposed
     */
    void verifyDecisions(final Map<String, Planned> planned) {
        final Map<String, List<Decision>> decisions = new HashMap<>();
        try (TopicReader<Decision> reader = new TopicReader<>(
                bootstrapServers, topics.decisions().name(), AvroDeserializer.specific(registry, Decision.class))) {
            for (final ConsumerRecord<String, Decision> record : reader.drainToEnd(READ)) {
                final Decision decision = record.value();
                if (decision == null) {
                    violation("unreadable decision at " + where(record));
                    continue;
                }
                decisions
                        .computeIfAbsent(decision.getActionId(), k -> new ArrayList<>())
                        .add(decision);
                if (!Objects.equals(record.key(), decision.getAgentId())) {
                    violation(
                            "decision of " + decision.getActionId() + " keyed " + record.key() + ", not by its agent");
                }
            }
        }
        stats.put("decisionRecords", (long)
                decisions.values().stream().mapToInt(List::size).sum());
        final Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
        for (final Planned plan : planned.values()) {
            final List<Decision> found = decisions.getOrDefault(plan.actionId(), List.of());
            if (found.size() != 1) {
                violation(plan.actionId() + ": " + found.size() + " decisions "
                        + found.stream()
                                .map(d -> d.getOutcome() + " by " + d.getDecidedBy())
                                .toList()
                        + ", expected exactly one");
            }
            found.forEach(d -> outcomes.merge(d.getOutcome(), 1L, Long::sum));
            found.forEach(d -> check(plan, d));
            if (found.size() == 1) {
                decisionOf.put(plan.actionId(), found.get(0));
            }
        }
        outcomes.forEach((outcome, n) -> stats.put("outcome." + outcome, n));
        notBeforeTheDeadline(decisions);
        decisions.keySet().stream()
                .filter(id -> !planned.containsKey(id))
                .forEach(id -> violation("a decision for " + id + ", which nobody proposed"));

        exactlyOnce(
                topics.actionsAutoApproved().name(),
                AvroDeserializer.specific(registry, ClassifiedAction.class),
                c -> c.getAction().getActionId(),
                planned,
                kind -> kind == Kind.AUTO ? 1 : 0);
        exactlyOnce(
                topics.approvalsPending().name(),
                AvroDeserializer.specific(registry, ClassifiedAction.class),
                c -> c.getAction().getActionId(),
                planned,
                kind -> kind.human() ? 1 : 0);
        exactlyOnce(
                topics.approvalsRequests().name(),
                AvroDeserializer.specific(registry, ApprovalRequest.class),
                r -> r.getAction().getActionId(),
                planned,
                Kind::requests);
    }

    /**
     * A timeout never comes early: each TIMED_OUT decision is made at or after the deadline of the
     * last request its action was asked in (a deadline that fired at once would pass every other check).
     */
    private void notBeforeTheDeadline(final Map<String, List<Decision>> decisions) {
        final Map<String, ApprovalRequest> lastRequest = new HashMap<>();
        try (TopicReader<ApprovalRequest> reader = new TopicReader<>(
                bootstrapServers,
                topics.approvalsRequests().name(),
                AvroDeserializer.specific(registry, ApprovalRequest.class))) {
            for (final ConsumerRecord<String, ApprovalRequest> record : reader.drainToEnd(READ)) {
                if (record.value() != null) {
                    lastRequest.merge(
                            record.value().getAction().getActionId(),
                            record.value(),
                            (a, b) -> b.getEscalationLevel() >= a.getEscalationLevel() ? b : a);
                }
            }
        }
        long timedOut = 0;
        for (final List<Decision> found : decisions.values()) {
            for (final Decision d : found) {
                if (d.getOutcome() != Outcome.TIMED_OUT) {
                    continue;
                }
                timedOut++;
                final ApprovalRequest request = lastRequest.get(d.getActionId());
                if (request == null) {
                    violation(d.getActionId() + ": TIMED_OUT without a request");
                } else if (d.getDecidedAt().isBefore(request.getDeadline())) {
                    violation(d.getActionId() + ": TIMED_OUT at " + d.getDecidedAt() + ", before its deadline "
                            + request.getDeadline());
                }
            }
        }
        stats.put("timedOutNotEarly", timedOut);
    }

    private void check(final Planned plan, final Decision decision) {
        final String id = plan.actionId();
        if (decision.getOutcome() != plan.kind().expected()) {
            violation(id + ": " + decision.getOutcome() + " by " + decision.getDecidedBy() + ", expected "
                    + plan.kind().expected());
        }
        if (!plan.agentId().equals(decision.getAgentId())) {
            violation(id + ": decided for agent " + decision.getAgentId() + ", proposed by " + plan.agentId());
        }
        final dev.hitl.schemas.integrity.DecisionVerifier.Result signature = signatures.verify(decision);
        if (signature != dev.hitl.schemas.integrity.DecisionVerifier.Result.VALID) {
            violation(id + ": the signature does not verify: " + signature.describe());
        }
        verified.add(decision);
        // Bound to exactly the proposal it decides, and to what an executor would run.
        if (!java.util.Objects.equals(decision.getActionType(), plan.action().getActionType())
                || !java.util.Objects.equals(decision.getTool(), plan.action().getTool())
                || !java.util.Objects.equals(decision.getTarget(), plan.action().getTarget())) {
            violation(id + ": names " + decision.getActionType() + "/" + decision.getTool() + "/"
                    + decision.getTarget() + ", the proposal " + plan.action().getActionType() + "/"
                    + plan.action().getTool() + "/" + plan.action().getTarget());
        }
        if (!dev.hitl.schemas.integrity.ProposalHash.of(plan.action()).equals(decision.getProposalHash())) {
            violation(id + ": proposalHash " + decision.getProposalHash() + " is not the proposal's");
        }
        // Who decided: exactly the reviewers the kind's votes name (a second vote of one reviewer is
        // no second approval; distinct people across stages), and for a rejection who and why.
        final List<String> approvers = plan.kind().approvers();
        if (approvers != null
                && !new java.util.TreeSet<>(approvers).equals(new java.util.TreeSet<>(decision.getApprovers()))) {
            violation(id + ": approvers " + decision.getApprovers() + ", expected " + approvers);
        }
        if (approvers != null && decision.getApprovers().size() != approvers.size()) {
            violation(id + ": approvers " + decision.getApprovers() + " name someone twice");
        }
        final String[] rejection = plan.kind().rejection();
        if (rejection != null) {
            if (!rejection[0].equals(decision.getDecidedBy())) {
                violation(id + ": rejected by " + decision.getDecidedBy() + ", expected " + rejection[0]);
            }
            if (decision.getFeedback() == null
                    || !rejection[1].equals(decision.getFeedback().getReason())) {
                violation(id + ": the agent is told " + decision.getFeedback() + ", expected the reason '"
                        + rejection[1] + "'");
            }
        }
        final boolean runs = runs(decision.getOutcome());
        if (!runs) {
            if (decision.getFinalArguments() != null || decision.getArgumentsHash() != null) {
                violation(id + ": " + decision.getOutcome() + " carries arguments to run");
            }
            return;
        }
        if (decision.getFinalArguments() == null
                || decision.getArgumentsHash() == null
                || !CanonicalJson.sha256(decision.getFinalArguments()).equals(decision.getArgumentsHash())) {
            violation(id + ": argumentsHash " + decision.getArgumentsHash() + " does not bind finalArguments "
                    + decision.getFinalArguments());
            return;
        }
        final String expected = plan.kind() == Kind.MODIFY
                ? plan.modifiedArguments()
                : plan.action().getArguments();
        if (!CanonicalJson.canonicalize(expected).equals(CanonicalJson.canonicalize(decision.getFinalArguments()))) {
            violation(id + ": runs with " + decision.getFinalArguments() + ", expected " + expected);
        }
        if (plan.kind().human() && !decision.getApprovers().contains("reviewer")) {
            violation(id + ": approved without the reviewer among its approvers " + decision.getApprovers());
        }
    }

    /**
     * Verifies every decision this verifier checked again, with an independent verifier on Node's
     * own crypto (schemas/src/test/node/verify-signatures.mjs) and only the public keys.
     *
     * @param decisionKeys the deciders' public keys (a JWKS file)
     * @param dir where to write the decisions for Node
     */
    void verifyInNode(final java.nio.file.Path decisionKeys, final java.nio.file.Path dir) throws Exception {
        final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        final com.fasterxml.jackson.databind.node.ArrayNode all = json.createArrayNode();
        for (final Decision d : verified) {
            final com.fasterxml.jackson.databind.node.ObjectNode node = all.addObject();
            node.put("actionId", d.getActionId());
            node.put("agentId", d.getAgentId());
            node.put("actionType", d.getActionType());
            node.put("tool", d.getTool());
            node.put("target", d.getTarget());
            node.put("outcome", d.getOutcome().name());
            node.put("finalArguments", d.getFinalArguments());
            node.put("argumentsHash", d.getArgumentsHash());
            node.put("proposalHash", d.getProposalHash());
            d.getApprovers().forEach(node.putArray("approvers")::add);
            if (d.getFeedback() == null) {
                node.putNull("feedback");
            } else {
                node.putObject("feedback")
                        .put("reason", d.getFeedback().getReason())
                        .put("category", d.getFeedback().getCategory());
            }
            node.put("decidedBy", d.getDecidedBy());
            node.put("policyVersion", d.getPolicyVersion());
            node.put("decidedAt", d.getDecidedAt().toEpochMilli());
            if (d.getExpiresAt() == null) {
                node.putNull("expiresAt");
            } else {
                node.put("expiresAt", d.getExpiresAt().toEpochMilli());
            }
            node.put("signatureKeyId", d.getSignatureKeyId());
            node.put("signatureAlgorithm", d.getSignatureAlgorithm());
            node.put("signature", d.getSignature());
        }
        final java.nio.file.Path file = dir.resolve("decisions-for-node.json");
        java.nio.file.Files.writeString(file, all.toString());
        final Process node = new ProcessBuilder(
                        "node",
                        java.nio.file.Path.of("../schemas/src/test/node/verify-signatures.mjs")
                                .toAbsolutePath()
                                .normalize()
                                .toString(),
                        "--decisions",
                        file.toString(),
                        decisionKeys.toString())
                .redirectErrorStream(true)
                .start();
        final String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(2, java.util.concurrent.TimeUnit.MINUTES) || node.exitValue() != 0) {
            violation("Node's verifier refused a decision: "
                    + output.lines()
                            .filter(l -> l.startsWith("FAIL"))
                            .findFirst()
                            .orElse(output));
        } else {
            stats.merge("verified by Node", (long) verified.size(), Long::sum);
        }
    }

    private <V> void exactlyOnce(
            final String topic,
            final org.apache.kafka.common.serialization.Deserializer<V> values,
            final Function<V, String> actionId,
            final Map<String, Planned> planned,
            final java.util.function.ToIntFunction<Kind> belongs) {
        final Map<String, Integer> seen = new HashMap<>();
        try (TopicReader<V> reader = new TopicReader<>(bootstrapServers, topic, values)) {
            for (final ConsumerRecord<String, V> record : reader.drainToEnd(READ)) {
                if (record.value() == null && isWithdrawal(record)) {
                    withdrawals.merge(topic, 1L, Long::sum); // passed on by the classifier
                    continue;
                }
                if (record.value() == null) {
                    violation("unreadable record at " + where(record));
                    continue;
                }
                seen.merge(actionId.apply(record.value()), 1, Integer::sum);
            }
        }
        stats.put("records." + topic, (long)
                seen.values().stream().mapToInt(i -> i).sum());
        if (withdrawals.containsKey(topic)) {
            stats.put("withdrawals." + topic, withdrawals.get(topic));
        }
        for (final Planned plan : planned.values()) {
            final int n = seen.getOrDefault(plan.actionId(), 0);
            final int expected = belongs.applyAsInt(plan.kind());
            if (n != expected) {
                violation(plan.actionId() + ": " + n + " records on " + topic + ", expected " + expected);
            }
        }
        seen.keySet().stream()
                .filter(id -> !planned.containsKey(id))
                .forEach(id -> violation(topic + " holds " + id + ", which nobody proposed"));
    }

    /**
     * Checks the audit log against its inputs: every input record exactly once, nothing else, one
     * DECIDED record per planned action.
     *
     * @param planned every action proposed
     * @param timeout how long the audit service may take to catch up
     * @return the number of records in the audit log
     */
    long verifyAudit(final Map<String, Planned> planned, final Duration timeout) {
        final List<String> audited = List.of(
                topics.actionsProposed().name(),
                topics.actionsAutoApproved().name(),
                topics.approvalsPending().name(),
                topics.approvalsRequests().name(),
                topics.approvalsVotes().name(),
                topics.decisions().name(),
                topics.agentsControl().name(),
                topics.agentsRegistry().name(),
                topics.votersRegistry().name(),
                topics.policy().name(),
                // a sampled auto-approval's spot check (the classifier's), and answers to them
                topics.spotChecks().name(),
                topics.spotCheckAnswers().name());
        final Set<String> sources = new HashSet<>();
        for (final String topic : audited) {
            try (TopicReader<byte[]> reader = new TopicReader<>(bootstrapServers, topic, new ByteArrayDeserializer())) {
                for (final ConsumerRecord<String, byte[]> record : reader.drainToEnd(READ)) {
                    // an agent's withdrawal is an audit event too (a tombstone on the proposals)
                    if (record.value() != null
                            || (topic.equals(topics.actionsProposed().name()) && isWithdrawal(record))) {
                        sources.add(where(record));
                    }
                }
            }
        }
        final Map<String, Integer> recorded = new HashMap<>();
        final Map<String, Integer> decided = new HashMap<>();
        // The votes the escalation service did not count (late ones, after a timeout) are written
        // to approvals.ignored-votes while it catches up with the last votes: read on with the log.
        try (TopicReader<byte[]> ignored = new TopicReader<>(
                        bootstrapServers, topics.approvalsIgnoredVotes().name(), new ByteArrayDeserializer());
                TopicReader<AuditRecord> log = new TopicReader<>(
                        bootstrapServers,
                        topics.auditLog().name(),
                        AvroDeserializer.specific(registry, AuditRecord.class))) {
            ignored.drainToEnd(READ).forEach(r -> sources.add(where(r)));
            final long deadline = System.nanoTime() + timeout.toNanos();
            List<ConsumerRecord<String, AuditRecord>> read = log.drainToEnd(READ);
            while (true) {
                count(read, recorded, decided);
                if (recorded.keySet().equals(sources) || System.nanoTime() > deadline) {
                    break;
                }
                // the escalation and audit services are still catching up
                ignored.poll(Duration.ofMillis(100)).forEach(r -> sources.add(where(r)));
                read = log.poll(Duration.ofMillis(500));
            }
            // Anything the service wrote after the last input record (a repeat) is read too; then the
            // ignored votes again, so every one the log already records is among the sources, and
            // any written meanwhile is waited for.
            count(log.drainToEnd(READ), recorded, decided);
            ignored.drainToEnd(READ).forEach(r -> sources.add(where(r)));
            while (!recorded.keySet().containsAll(sources) && System.nanoTime() < deadline) {
                count(log.poll(Duration.ofMillis(500)), recorded, decided);
            }
            stats.put("auditedSourceRecords", (long) sources.size());
            stats.put("auditRecords", (long) log.records().size());
            final List<String> missing = sources.stream()
                    .filter(s -> !recorded.containsKey(s))
                    .sorted()
                    .toList();
            if (!missing.isEmpty()) {
                violation(missing.size() + " input records are missing from the audit log after " + timeout + ", e.g. "
                        + missing.subList(0, Math.min(10, missing.size())));
            }
            recorded.forEach((source, n) -> {
                if (n != 1) {
                    violation("the audit log holds " + source + " " + n + " times");
                }
                if (!sources.contains(source)) {
                    violation("the audit log holds " + source + ", which is no committed input record");
                }
            });
            for (final Planned plan : planned.values()) {
                final int n = decided.getOrDefault(plan.actionId(), 0);
                if (n != 1) {
                    violation(plan.actionId() + ": " + n + " DECIDED records in the audit log, expected 1");
                }
            }
            // The chains, by the README's specification (not the service's own verification).
            final Map<Integer, List<AuditRecord>> chains = new TreeMap<>();
            log.records().stream()
                    .filter(r -> r.value() != null)
                    .forEach(r -> chains.computeIfAbsent(r.partition(), k -> new ArrayList<>())
                            .add(r.value()));
            final List<String> broken = AuditSpecVerifier.problems(chains);
            broken.stream().limit(20).forEach(p -> violation("audit chain (README spec): " + p));
            if (broken.isEmpty()) {
                stats.put("auditVerifiedBySpec", (long)
                        chains.values().stream().mapToInt(List::size).sum());
            }
            stories(planned, chains);
            return log.records().size();
        }
    }

    /**
     * Each action's records in the audit log tell the story of its decision: the proposal's
     * arguments (every PROPOSED, every REQUESTED as the reviewer was shown it), the classifier's
     * and escalation's records once each (a request per stage), the votes its kind casts (who, what,
     * why, the modified arguments; every vote that did not count next to its VOTE_IGNORED, a second
     * vote of one reviewer as a repeat voter), and one DECIDED record saying what the signed decision
     * on {@code hitl.decisions} says (outcome, approvers, decidedBy as actor, arguments and their
     * hash, feedback, signature; for a modification the arguments before and after).
     */
    private void stories(final Map<String, Planned> planned, final Map<Integer, List<AuditRecord>> chains) {
        final Map<String, List<AuditRecord>> byAction = new HashMap<>();
        chains.values()
                .forEach(chain -> chain.stream()
                        .filter(r -> r.getActionId() != null)
                        .forEach(r -> byAction.computeIfAbsent(r.getActionId(), k -> new ArrayList<>())
                                .add(r)));
        long told = 0;
        for (final Planned plan : planned.values()) {
            final List<String> wrong = new ArrayList<>();
            story(plan, byAction.getOrDefault(plan.actionId(), List.of()), wrong);
            wrong.forEach(w -> violation(plan.actionId() + " (" + plan.kind() + ") in the audit log: " + w));
            if (wrong.isEmpty()) {
                told++;
            }
        }
        stats.put("auditStoriesAsDecided", told);
    }

    private void story(final Planned plan, final List<AuditRecord> records, final List<String> wrong) {
        final Map<String, List<JsonNode>> byType = new HashMap<>();
        // An action's records are one partition's chain, in order.
        final List<String> order =
                records.stream().map(AuditRecord::getEventType).toList();
        final boolean proposedBeforeDecided =
                order.contains("PROPOSED") && order.indexOf("PROPOSED") < Math.max(order.indexOf("DECIDED"), 0);
        for (final AuditRecord r : records) {
            final JsonNode payload;
            try {
                payload = JSON.readTree(r.getPayload());
            } catch (java.io.IOException e) {
                wrong.add("a " + r.getEventType() + " payload that is not JSON");
                continue;
            }
            byType.computeIfAbsent(r.getEventType(), k -> new ArrayList<>()).add(payload);
            if (r.getEventType().equals("DECIDED")) {
                final Decision d = decisionOf.get(plan.actionId());
                if (d != null && !d.getDecidedBy().equals(r.getActor())) {
                    wrong.add("DECIDED by actor " + r.getActor() + ", the decision by " + d.getDecidedBy());
                }
            }
        }
        final Kind kind = plan.kind();
        final List<JsonNode> proposed = byType.getOrDefault("PROPOSED", List.of());
        if (proposed.isEmpty()) {
            wrong.add("no PROPOSED record");
        }
        for (final JsonNode p : proposed) {
            if (!sameJson(p.path("arguments").asText(null), plan.action().getArguments())
                    || !plan.agentId().equals(p.path("agentId").asText())) {
                wrong.add("PROPOSED with arguments " + p.path("arguments") + " by " + p.path("agentId"));
            }
        }
        count(byType, "AUTO_APPROVED", kind == Kind.AUTO ? 1 : 0, wrong);
        count(byType, "PENDING", kind.human() ? 1 : 0, wrong);
        count(byType, "REQUESTED", kind.requests(), wrong);
        for (final JsonNode r : byType.getOrDefault("REQUESTED", List.of())) {
            if (!sameJson(
                    r.path("action").path("arguments").asText(null),
                    plan.action().getArguments())) {
                wrong.add("REQUESTED shows the reviewer " + r.path("action").path("arguments"));
            }
        }
        count(byType, "DECIDED", 1, wrong);
        final Decision decision = decisionOf.get(plan.actionId());
        for (final JsonNode d : byType.getOrDefault("DECIDED", List.of())) {
            if (decision == null) {
                break;
            }
            final List<String> approvers = new ArrayList<>();
            d.path("approvers").forEach(a -> approvers.add(a.asText()));
            final String reason = d.path("feedback").path("reason").asText(null);
            if (!decision.getOutcome().name().equals(d.path("outcome").asText())
                    || !decision.getApprovers().equals(approvers)
                    || !decision.getDecidedBy().equals(d.path("decidedBy").asText())
                    || !Objects.equals(
                            decision.getFinalArguments(),
                            d.path("finalArguments").asText(null))
                    || !Objects.equals(
                            decision.getArgumentsHash(), d.path("argumentsHash").asText(null))
                    || !Objects.equals(
                            decision.getSignature(), d.path("signature").asText(null))
                    || !Objects.equals(
                            decision.getFeedback() == null
                                    ? null
                                    : decision.getFeedback().getReason(),
                            reason)) {
                wrong.add("DECIDED says " + d.path("outcome") + " by " + d.path("decidedBy") + " approvers "
                        + approvers + " reason " + reason + "; the decision " + decision.getOutcome() + " by "
                        + decision.getDecidedBy() + " approvers " + decision.getApprovers());
            }
            if (kind == Kind.MODIFY && !sameJson(d.path("finalArguments").asText(null), plan.modifiedArguments())) {
                wrong.add("DECIDED's arguments " + d.path("finalArguments") + " are not the reviewer's");
            }
            // The before/after diff is the audit service's annotation of a DECIDED record whose
            // action's PROPOSED it has already chained. When a fault stalls the task that reads the
            // proposal (keyed by actionId) while the one that reads the decision (keyed by agentId)
            // goes on, the DECIDED is chained first and carries no diff: the raw facts (PROPOSED's
            // arguments, the MODIFY vote, DECIDED's final arguments) still tell the story, checked
            // above and below. Which case applies is read from the chain's own order.
            if (kind == Kind.MODIFY && proposedBeforeDecided) {
                if (!sameJson(
                                d.path("modification").path("before"),
                                plan.action().getArguments())
                        || !sameJson(d.path("modification").path("after"), plan.modifiedArguments())) {
                    wrong.add("DECIDED's modification " + d.path("modification") + " is not the reviewer's");
                }
            } else if (kind == Kind.MODIFY) {
                if (!d.path("modification").isMissingNode()) {
                    wrong.add("DECIDED chained before its PROPOSED carries a modification " + d.path("modification"));
                }
                stats.merge("auditDecidedBeforeProposed", 1L, Long::sum);
            }
        }
        final List<JsonNode> votes = byType.getOrDefault("VOTED", List.of());
        final List<JsonNode> ignored = byType.getOrDefault("VOTE_IGNORED", List.of());
        final java.util.function.BiFunction<String, String, Long> cast = (who, verdict) -> votes.stream()
                .filter(v -> v.path("approver").asText().equals(who)
                        && v.path("verdict").asText().equals(verdict))
                .count();
        final java.util.function.Predicate<JsonNode> byFirst =
                v -> v.path("approver").asText().equals(Reviewer.FIRST);
        switch (kind) {
            case AUTO, BLOCK, WITHDRAW -> {
                if (!votes.isEmpty() || !ignored.isEmpty()) {
                    wrong.add(votes.size() + " votes, " + ignored.size() + " ignored, where nobody votes");
                }
                if (kind == Kind.WITHDRAW
                        && byType.getOrDefault("WITHDRAWAL", List.of()).isEmpty()) {
                    wrong.add("no WITHDRAWAL record");
                }
            }
            case TIMEOUT -> {
                if (cast.apply(Reviewer.FIRST, "APPROVE") != votes.size() || ignored.size() != votes.size()) {
                    wrong.add("votes " + verdicts(votes) + " and " + ignored.size()
                            + " ignored: only late approvals, none counted");
                }
            }
            case APPROVE, STAGES -> {
                if (votes.stream().anyMatch(v -> !v.path("verdict").asText().equals("APPROVE"))
                        || cast.apply(Reviewer.FIRST, "APPROVE") < 1
                        || (kind == Kind.STAGES) != (cast.apply(Reviewer.SECOND_STAGE, "APPROVE") >= 1)
                        || votes.size()
                                != cast.apply(Reviewer.FIRST, "APPROVE")
                                        + cast.apply(Reviewer.SECOND_STAGE, "APPROVE")) {
                    wrong.add("votes " + verdicts(votes));
                }
            }
            case MODIFY -> {
                if (votes.isEmpty()
                        || !votes.stream()
                                .allMatch(v -> byFirst.test(v)
                                        && v.path("verdict").asText().equals("MODIFY")
                                        && Reviewer.MODIFY_REASON.equals(
                                                v.path("reason").asText())
                                        && sameJson(
                                                v.path("modifiedArguments").asText(null), plan.modifiedArguments()))) {
                    wrong.add("votes " + verdicts(votes) + ", expected the reviewer's modification");
                }
            }
            case REJECT -> {
                final long rejects = votes.stream()
                        .filter(v -> byFirst.test(v)
                                && v.path("verdict").asText().equals("REJECT")
                                && Reviewer.REJECT_REASON.equals(
                                        v.path("reason").asText()))
                        .count();
                final long approvals = cast.apply(Reviewer.FIRST, "APPROVE");
                if (rejects < 1 || rejects + approvals != votes.size() || ignored.size() < approvals) {
                    wrong.add("votes " + verdicts(votes) + " and " + ignored.size()
                            + " ignored: the rejection with its reason, every later approval ignored");
                }
            }
            case QUORUM, QUORUM_REJECT -> {
                final String second = kind == Kind.QUORUM ? "APPROVE" : "REJECT";
                final long repeats = ignored.stream()
                        .filter(i ->
                                byFirst.test(i) && i.path("category").asText().equals("repeat-voter"))
                        .count();
                final boolean reasoned = kind == Kind.QUORUM
                        || votes.stream()
                                .anyMatch(v -> v.path("approver").asText().equals(Reviewer.SECOND_IN_QUORUM)
                                        && Reviewer.QUORUM_REJECT_REASON.equals(
                                                v.path("reason").asText()));
                if (cast.apply(Reviewer.FIRST, "APPROVE") < 2
                        || repeats < 1
                        || cast.apply(Reviewer.SECOND_IN_QUORUM, second) < 1
                        || !reasoned
                        || votes.size()
                                != cast.apply(Reviewer.FIRST, "APPROVE")
                                        + cast.apply(Reviewer.SECOND_IN_QUORUM, second)) {
                    wrong.add("votes " + verdicts(votes) + ", " + repeats + " ignored as a repeat voter");
                }
            }
            default -> throw new IllegalStateException(kind.name());
        }
    }

    private static void count(
            final Map<String, List<JsonNode>> byType, final String type, final int expected, final List<String> wrong) {
        final int n = byType.getOrDefault(type, List.of()).size();
        if (n != expected) {
            wrong.add(n + " " + type + " records, expected " + expected);
        }
    }

    private static List<String> verdicts(final List<JsonNode> votes) {
        return votes.stream()
                .map(v -> v.path("approver").asText() + ":" + v.path("verdict").asText())
                .toList();
    }

    /** Whether the payload's member (the arguments as a JSON tree) holds the same value as the text. */
    private static boolean sameJson(final JsonNode member, final String text) {
        try {
            return member.isObject() && member.equals(JSON.readTree(text));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether two JSON texts hold the same value (member order and spacing aside). */
    private static boolean sameJson(final String a, final String b) {
        if (a == null || b == null) {
            return a == b;
        }
        try {
            return JSON.readTree(a).equals(JSON.readTree(b));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private void count(
            final List<ConsumerRecord<String, AuditRecord>> read,
            final Map<String, Integer> recorded,
            final Map<String, Integer> decided) {
        for (final ConsumerRecord<String, AuditRecord> record : read) {
            if (record.value() == null) {
                violation("unreadable audit record at " + where(record));
                continue;
            }
            recorded.merge(record.value().getSource(), 1, Integer::sum);
            if ("DECIDED".equals(record.value().getEventType())) {
                decided.merge(record.value().getActionId(), 1, Integer::sum);
            }
        }
    }

    private static boolean isWithdrawal(final ConsumerRecord<?, ?> record) {
        return record.headers().lastHeader(Withdrawals.WITHDRAWN_BY) != null;
    }

    private static String where(final ConsumerRecord<?, ?> record) {
        return record.topic() + "/" + record.partition() + "/" + record.offset();
    }

    private void violation(final String what) {
        violations.add(what);
    }

    List<String> violations() {
        return violations;
    }

    Map<String, Long> stats() {
        return stats;
    }

    /** Whether the outcome lets the action run. */
    private static boolean runs(final Outcome outcome) {
        return outcome == Outcome.AUTO_APPROVED || outcome == Outcome.APPROVED || outcome == Outcome.MODIFIED;
    }
}
