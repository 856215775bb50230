package dev.hitl.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.ConfluentWireFormat;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.sdk.Proposals;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The bad-input corpus of {@link BadInputIT}: for every topic a service reads, records that cannot
 * be read (garbage, unknown schema id, truncated Avro, another record type's schema, empty, huge),
 * records that are readable but odd (an enum symbol the readers do not know, a null key), and for
 * proposals the readable-but-invalid ones that must end INVALID with a reason naming the field.
 * Every case is named {@code <topic>/<case>}, so a failure says which one.
 */
final class BadInputCorpus {

    /** What must become of a record. */
    enum Expect {
        /** Unreadable: the original record on {@code hitl.dlq}, with the error in headers. */
        DEAD_LETTER,
        /** A readable but invalid proposal: an INVALID decision whose feedback names the field. */
        INVALID,
        /** A readable proposal: exactly one final decision with the case's outcome, no dead letter. */
        DECIDED,
        /** Readable: handled by its readers, no dead letter. */
        READ,
        /** The broker refuses the write (a null key on a compacted topic). */
        REFUSED_BY_BROKER
    }

    /**
     * One record of the corpus.
     *
     * @param name {@code <topic>/<case>}
     * @param topic the topic written to
     * @param key the key bytes, or null
     * @param value the value bytes, or null
     * @param expect what must become of it
     * @param detail for INVALID: what the feedback must contain; else a note
     * @param actionId the proposal's actionId (proposals), for finding its decision
     * @param agentId the proposal's agentId (proposals), for finding a decision with no actionId
     * @param outcome for DECIDED: the outcome its decision must have
     */
    record Case(
            String name,
            String topic,
            byte[] key,
            byte[] value,
            Expect expect,
            String detail,
            String actionId,
            String agentId,
            dev.hitl.schemas.Outcome outcome) {

        @Override
        public String toString() {
            return name + " (" + (value == null ? "null" : value.length) + " bytes, expect " + expect + ")";
        }
    }

    /** Size of the huge records: under the broker's default 1 MB limit. */
    static final int HUGE = 900 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MARKER = "@@INVALID-UTF-8@@";

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final SchemaRegistryClient registry;
    private final Serializer<ProposedAction> proposals;
    private final Map<String, byte[]> samples;
    private final String runId;
    private final Random random = new Random(9);
    private final List<Case> cases = new ArrayList<>();

    /**
     * @param registry the registry (the enum cases register a writer schema with one more symbol)
     * @param serdes the serdes (proposals are written with the ordinary serializer)
     * @param samples a valid record's value bytes for every topic read, as the services wrote them
     * @param runId makes action ids unique to the run
     */
    BadInputCorpus(
            final SchemaRegistryClient registry,
            final TopicSerdes serdes,
            final Map<String, byte[]> samples,
            final String runId) {
        this.registry = registry;
        this.proposals = serdes.valueSerde(topics.actionsProposed()).serializer();
        this.samples = samples;
        this.runId = runId;
    }

    /** @return every case, proposals first */
    List<Case> build() {
        proposals();
        final String proposed = topics.actionsProposed().name();
        final String pending = topics.approvalsPending().name();
        final String votes = topics.approvalsVotes().name();
        final String requests = topics.approvalsRequests().name();
        final String decisions = topics.decisions().name();
        final String control = topics.agentsControl().name();
        final String policy = topics.policy().name();
        final String trust = topics.trust().name();
        final String voters = topics.votersRegistry().name();
        // Unreadable bytes on every topic read; the other record type each one gets.
        unreadable(proposed, votes, Expect.DEAD_LETTER);
        unreadable(pending, decisions, Expect.DEAD_LETTER);
        unreadable(votes, proposed, Expect.DEAD_LETTER);
        unreadable(requests, votes, Expect.DEAD_LETTER);
        unreadable(decisions, votes, Expect.DEAD_LETTER);
        unreadable(control, votes, Expect.DEAD_LETTER);
        unreadable(policy, votes, Expect.DEAD_LETTER);
        unreadable(trust, votes, Expect.DEAD_LETTER);
        // The voter registry: the escalation service's global table and the audit log read it.
        unreadable(voters, votes, Expect.DEAD_LETTER);
        // Readable, with an enum symbol the readers do not know: they read the enum's default.
        unknownSymbol(pending, "dev.hitl.schemas.RiskClass", List.of("assessment", "riskClass"), "CATASTROPHIC");
        unknownSymbol(votes, "dev.hitl.schemas.Verdict", List.of("verdict"), "ABSTAIN");
        unknownSymbol(requests, "dev.hitl.schemas.ApprovalMode", List.of("route", "mode"), "ANY_ONE");
        unknownSymbol(decisions, "dev.hitl.schemas.Outcome", List.of("outcome"), "ESCALATED");
        unknownSymbol(control, "dev.hitl.schemas.AgentState", List.of("state"), "PAUSED");
        unknownSymbol(trust, "dev.hitl.schemas.AutonomyLevel", List.of("autonomyLevel"), "UNLIMITED");
        // Readable records with no key: fine on a plain topic, refused by the broker on a compacted one.
        for (final String topic : List.of(pending, votes, requests, decisions)) {
            add(topic, "null-key", null, samples.get(topic), Expect.READ, "a valid record with a null key");
        }
        for (final String topic : List.of(control, policy, trust, voters)) {
            add(topic, "null-key", null, samples.get(topic), Expect.REFUSED_BY_BROKER, "compacted: keys required");
        }
        // A policy document that is Avro but not a policy: the running policy stays.
        add(
                policy,
                "yaml-not-a-policy",
                key("bad-policy"),
                withStrings(samples.get(policy), Map.of("yaml", "::: <script>alert(1)</script> [unclosed")),
                Expect.READ,
                "the policy in force stays");
        // The policy in force, published again with a risk class no reader knows (past the operator
        // API, which refuses it): readable Avro, refused by the policy's readers; the policy stays.
        final GenericRecord inForce =
                read(samples.get(policy), schemaOf(samples.get(policy)), schemaOf(samples.get(policy)));
        final String yaml = inForce.get("yaml")
                .toString()
                .replaceFirst("(?m)^version: .*$", "version: \"" + unknownSymbolVersion(runId) + "\"")
                .replaceFirst("(?m)^  riskClass: IRREVERSIBLE$", "  riskClass: CATASTROPHIC");
        if (!yaml.contains("riskClass: CATASTROPHIC")) {
            throw new IllegalStateException("the default policy has no 'defaults: riskClass: IRREVERSIBLE' to change");
        }
        add(
                policy,
                "unknown-risk-class-symbol",
                utf8(inForce.get("name").toString()),
                withStrings(
                        samples.get(policy),
                        Map.of(
                                "version",
                                unknownSymbolVersion(runId),
                                "yaml",
                                yaml,
                                "sha256",
                                java.util.HexFormat.of().formatHex(sha256(yaml)))),
                Expect.READ,
                "refused by its readers: the policy in force stays");
        return cases;
    }

    /**
     * @param runId the run
     * @return the version of the corpus's policy with an unknown symbol
     */
    static String unknownSymbolVersion(final String runId) {
        return "unknown-symbol-" + runId;
    }

    private Schema schemaOf(final byte[] wire) {
        return registry.schemaById(ByteBuffer.wrap(wire, 1, 4).getInt());
    }

    private static byte[] sha256(final String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(utf8(text));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void unreadable(final String topic, final String otherTopic, final Expect expect) {
        final byte[] garbage = new byte[512];
        random.nextBytes(garbage);
        garbage[0] = 0x7f;
        add(topic, "garbage", key("garbage"), garbage, expect, "random bytes, no Confluent header");
        final byte[] unknownId = ByteBuffer.allocate(64)
                .put(ConfluentWireFormat.MAGIC_BYTE)
                .putInt(987_654_321)
                .put(new byte[] {2, 'x', 4, 'y', 'z'})
                .array();
        add(topic, "unknown-schema-id", key("unknown-schema-id"), unknownId, expect, "schema id 987654321");
        final byte[] valid = samples.get(topic);
        final int cut = ConfluentWireFormat.HEADER_SIZE + (valid.length - ConfluentWireFormat.HEADER_SIZE) / 2;
        add(topic, "truncated", key("truncated"), Arrays.copyOf(valid, cut), expect, "valid header, half the body");
        add(
                topic,
                "schema-of-another-record-type",
                key("other-type"),
                samples.get(otherTopic),
                expect,
                "a " + otherTopic + " record");
        add(topic, "empty-value", key("empty"), new byte[0], expect, "zero bytes (not a tombstone)");
        final byte[] huge = new byte[HUGE];
        random.nextBytes(huge);
        huge[0] = ConfluentWireFormat.MAGIC_BYTE;
        System.arraycopy(valid, 1, huge, 1, 4); // a real schema id, then 900 KB of noise
        add(topic, "huge-900kb", key("huge"), huge, expect, "900 KB");
    }

    private void proposals() {
        final String topic = topics.actionsProposed().name();
        invalid("arguments-not-json", p -> p.setArguments("this is {not json"), "arguments are not valid JSON");
        invalid(
                "arguments-nested-10000-levels",
                p -> p.setArguments("{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}"),
                "arguments are nested deeper than");
        invalid("arguments-not-an-object", p -> p.setArguments("[1,2,3]"), "arguments must be a JSON object");
        // I-JSON: what parsers disagree on is never hashed, shown or run.
        invalid(
                "arguments-duplicate-member",
                p -> p.setArguments("{\"to\":\"a@example.com\",\"to\":\"b@example.com\"}"),
                "duplicate member name");
        invalid("arguments-integer-beyond-2^53", p -> p.setArguments("{\"id\":9007199254740993}"), "2^53");
        invalid("confidence-nan", p -> p.setConfidence(Double.NaN), "confidence is NaN");
        invalid("confidence-infinite", p -> p.setConfidence(Double.POSITIVE_INFINITY), "confidence is Infinity");
        invalid(
                "confidence-negative-infinite",
                p -> p.setConfidence(Double.NEGATIVE_INFINITY),
                "confidence is -Infinity");
        invalid("confidence-negative", p -> p.setConfidence(-0.5), "confidence is -0.5");
        invalid(
                "cost-negative",
                p -> p.setEstimatedCost(new Money(new BigDecimal("-12.500000000"), "EUR")),
                "estimatedCost.amount is negative");
        invalid(
                "cost-currency-script",
                p -> p.setEstimatedCost(new Money(new BigDecimal("10.000000000"), "<script>alert(1)</script>")),
                "estimatedCost.currency");
        invalid("agentId-10000-chars", p -> p.setAgentId("a".repeat(10_000)), "agentId is 10000 characters long");
        invalid(
                "agentId-control-characters",
                p -> p.setAgentId("agent\u0000\u0007bell"),
                "agentId contains control characters");
        invalid(
                "actionType-script",
                p -> p.setActionType("<script>alert(1)</script>"),
                "actionType '<script>alert(1)</script>'");
        invalid("over-long-900kb", p -> p.setArguments("{\"q\":\"" + "x".repeat(HUGE) + "\"}"), "the proposal is");
        invalid("replyBy-before-proposedAt", p -> p.setReplyBy(Instant.parse("2001-01-01T00:00:00Z")), "replyBy");
        invalid("batchSize-zero", p -> p.setBatchId("batch-" + runId).setBatchSize(0), "batchSize is 0");
        // Empty actionId: the decision cannot name the action, so it is found by its agent.
        final ProposedAction noId = proposal("actionId-empty", UnaryOperator.identity())
                .setActionId("")
                .setAgentId("bad-input-no-id-" + runId)
                .build();
        cases.add(new Case(
                topic + "/actionId-empty",
                topic,
                utf8(""),
                proposals.serialize(topic, noId),
                Expect.INVALID,
                "actionId is missing",
                "",
                noId.getAgentId(),
                null));
        // The record key must be the actionId (resends reach the same partition).
        final ProposedAction otherKey =
                proposal("key-not-actionId", UnaryOperator.identity()).build();
        cases.add(new Case(
                topic + "/key-not-actionId",
                topic,
                key("some-other-key"),
                proposals.serialize(topic, otherKey),
                Expect.INVALID,
                "must equal actionId",
                otherKey.getActionId(),
                otherKey.getAgentId(),
                null));
        // Readable, valid enough to decide: an unknown input trust reads UNKNOWN (the strictest).
        final ProposedAction trust =
                proposal("unknown-input-trust", UnaryOperator.identity()).build();
        cases.add(new Case(
                topic + "/unknown-enum-symbol",
                topic,
                utf8(trust.getActionId()),
                withUnknownSymbol(
                        topic,
                        proposals.serialize(topic, trust),
                        "dev.hitl.schemas.InputTrust",
                        List.of("inputTrust"),
                        "SOCIAL_MEDIA"),
                Expect.DECIDED,
                "inputTrust SOCIAL_MEDIA reads UNKNOWN, the strictest; a read still runs alone",
                trust.getActionId(),
                trust.getAgentId(),
                dev.hitl.schemas.Outcome.AUTO_APPROVED));
        final ProposedAction noKey =
                proposal("null-key", UnaryOperator.identity()).build();
        cases.add(new Case(
                topic + "/null-key",
                topic,
                null,
                proposals.serialize(topic, noKey),
                Expect.INVALID,
                "the record key is missing",
                noKey.getActionId(),
                noKey.getAgentId(),
                null));
        // Invalid UTF-8 inside Avro strings (raw bytes, same length as the marker they replace): the
        // reader would see U+FFFD where the agent sent something else, so the proposal is refused.
        for (final String field : List.of("target", "userRequest")) {
            final ProposedAction p = proposal(
                            "invalid-utf8-" + field,
                            b -> field.equals("target")
                                    ? b.setTarget(MARKER)
                                    : b.setContext(ActionContext.newBuilder(b.getContext())
                                            .setUserRequest(MARKER)
                                            .build()))
                    .build();
            cases.add(new Case(
                    topic + "/invalid-utf8-in-" + field,
                    topic,
                    utf8(p.getActionId()),
                    replaceMarker(proposals.serialize(topic, p)),
                    Expect.INVALID,
                    (field.equals("target") ? "target" : "context.userRequest") + " contains U+FFFD",
                    p.getActionId(),
                    p.getAgentId(),
                    null));
        }
    }

    private void invalid(final String name, final UnaryOperator<ProposedAction.Builder> change, final String expected) {
        final String topic = topics.actionsProposed().name();
        final ProposedAction action = proposal(name, change).build();
        cases.add(new Case(
                topic + "/" + name,
                topic,
                utf8(action.getActionId()),
                proposals.serialize(topic, action),
                Expect.INVALID,
                expected,
                action.getActionId(),
                action.getAgentId(),
                null));
    }

    /** A valid read-only proposal with one thing changed. */
    private ProposedAction.Builder proposal(final String name, final UnaryOperator<ProposedAction.Builder> change) {
        return change.apply(ProposedAction.newBuilder(Proposals.action("search.web", "web", "{\"q\":\"refunds\"}")
                .actionId("bad-" + name + "-" + runId)
                .agentId("bad-input-agent")
                .onBehalfOf("alice@example.com")
                .confidence(0.95)
                .inputTrust(InputTrust.USER)
                .build()));
    }

    private void add(
            final String topic,
            final String name,
            final byte[] key,
            final byte[] value,
            final Expect expect,
            final String detail) {
        cases.add(new Case(topic + "/" + name, topic, key, value, expect, detail, null, null, null));
    }

    private static byte[] utf8(final String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] key(final String name) {
        return ("bad-input-" + name + "-" + runId).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A valid record re-written with a writer schema whose enum has one more symbol, registered
     * under the topic's subject (the registry's BACKWARD rule allows adding a symbol), and that
     * symbol set.
     */
    private void unknownSymbol(
            final String topic, final String enumName, final List<String> path, final String symbol) {
        add(
                topic,
                "unknown-enum-symbol",
                key("enum"),
                withUnknownSymbol(topic, samples.get(topic), enumName, path, symbol),
                Expect.READ,
                enumName + " " + symbol + " reads the enum's default");
    }

    private byte[] withUnknownSymbol(
            final String topic,
            final byte[] valid,
            final String enumName,
            final List<String> path,
            final String symbol) {
        return withUnknownSymbol(registry, topic, valid, enumName, path, symbol);
    }

    /**
     * @param registry the registry, where the extended writer schema is registered
     * @param topic the topic (its value subject)
     * @param valid a valid record in the wire format
     * @param enumName the enum's full name
     * @param path the field path to the enum value
     * @param symbol the symbol to add and set
     * @return the record re-written with a writer schema whose enum has one more symbol, set to it
     */
    static byte[] withUnknownSymbol(
            final SchemaRegistryClient registry,
            final String topic,
            final byte[] valid,
            final String enumName,
            final List<String> path,
            final String symbol) {
        final Schema writer = registry.schemaById(ByteBuffer.wrap(valid, 1, 4).getInt());
        final Schema extended;
        try {
            final JsonNode json = JSON.readTree(writer.toString());
            addSymbol(json, enumName, symbol, writer.getNamespace());
            extended = new Schema.Parser().parse(JSON.writeValueAsString(json));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        final int id = registry.register(topic + "-value", extended);
        final GenericRecord record = read(valid, writer, extended);
        GenericRecord at = record;
        for (final String field : path.subList(0, path.size() - 1)) {
            at = (GenericRecord) at.get(field);
        }
        final Schema enumSchema =
                nonNull(at.getSchema().getField(path.get(path.size() - 1)).schema());
        at.put(path.get(path.size() - 1), new GenericData.EnumSymbol(enumSchema, symbol));
        return write(id, extended, record);
    }

    private static void addSymbol(
            final JsonNode node, final String enumName, final String symbol, final String namespace) {
        if (node instanceof ObjectNode object) {
            final String ns = object.path("namespace").asText(namespace);
            if ("enum".equals(object.path("type").asText())) {
                final String name = object.path("name").asText();
                final String full = name.contains(".") ? name : ns + "." + name;
                if (full.equals(enumName)) {
                    ((ArrayNode) object.get("symbols")).add(symbol);
                }
            }
            object.elements().forEachRemaining(child -> addSymbol(child, enumName, symbol, ns));
        } else if (node instanceof ArrayNode array) {
            array.elements().forEachRemaining(child -> addSymbol(child, enumName, symbol, namespace));
        }
    }

    /** A valid record with some of its top-level string fields replaced. */
    private byte[] withStrings(final byte[] valid, final Map<String, String> fields) {
        final int id = ByteBuffer.wrap(valid, 1, 4).getInt();
        final Schema writer = registry.schemaById(id);
        final GenericRecord record = read(valid, writer, writer);
        fields.forEach(record::put);
        return write(id, writer, record);
    }

    private static Schema nonNull(final Schema schema) {
        return schema.getType() == Schema.Type.UNION
                ? schema.getTypes().stream()
                        .filter(s -> s.getType() != Schema.Type.NULL)
                        .findFirst()
                        .orElseThrow()
                : schema;
    }

    private static GenericRecord read(final byte[] wire, final Schema writer, final Schema reader) {
        try {
            return new GenericDatumReader<GenericRecord>(writer, reader)
                    .read(
                            null,
                            DecoderFactory.get()
                                    .binaryDecoder(
                                            wire,
                                            ConfluentWireFormat.HEADER_SIZE,
                                            wire.length - ConfluentWireFormat.HEADER_SIZE,
                                            null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] write(final int id, final Schema schema, final GenericRecord record) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ConfluentWireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Replaces the marker's bytes with as many bytes that are not UTF-8. */
    private static byte[] replaceMarker(final byte[] wire) {
        final byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
        final byte[] bad = {
            (byte) 0xC3,
            0x28,
            (byte) 0xA0,
            (byte) 0xA1,
            (byte) 0xE2,
            0x28,
            (byte) 0xA1,
            (byte) 0xF0,
            0x28,
            (byte) 0x8C,
            (byte) 0xBC,
            (byte) 0xFF,
            (byte) 0xFE,
            (byte) 0xC0,
            (byte) 0x80,
            (byte) 0xED,
            (byte) 0xA0
        };
        final byte[] out = wire.clone();
        for (int i = 0; i + marker.length <= out.length; i++) {
            if (Arrays.equals(out, i, i + marker.length, marker, 0, marker.length)) {
                System.arraycopy(bad, 0, out, i, marker.length);
                return out;
            }
        }
        throw new IllegalStateException("marker not found");
    }
}
