package dev.hitl.audit.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.schemas.AuditRecord;

/** The JSON view of audit records used by the query endpoints and the JSON Lines export. */
public final class RecordJson {

    /** The mapper every audit JSON answer is written with. */
    public static final ObjectMapper JSON = new ObjectMapper();

    private RecordJson() {}

    /**
     * @param r a record of the log
     * @param payloadAsTree true: the payload as a JSON object (queries); false: the payload text
     *     exactly as stored and hashed (exports, so the hash can be recomputed from the line)
     * @return {@code {partition, offset, sequence, hashVersion, eventType, actionId, agentId, actor,
     *     occurredAt, policyVersion, source, prevHash, hash, payload}}
     */
    public static ObjectNode toJson(final LogRecord r, final boolean payloadAsTree) {
        final AuditRecord a = r.record();
        final ObjectNode node = JSON.createObjectNode();
        node.put("partition", r.partition());
        node.put("offset", r.offset());
        node.put("sequence", a.getSequence());
        node.put("hashVersion", a.getHashVersion());
        node.put("eventType", a.getEventType());
        node.put("actionId", a.getActionId());
        node.put("agentId", a.getAgentId());
        node.put("actor", a.getActor());
        node.put("occurredAt", AvroJson.timestamp(a.getOccurredAt()));
        node.put("policyVersion", a.getPolicyVersion());
        node.put("source", a.getSource());
        node.put("prevHash", a.getPrevHash());
        node.put("hash", a.getHash());
        if (payloadAsTree) {
            node.set("payload", payloadTree(a.getPayload()));
        } else {
            node.put("payload", a.getPayload());
        }
        return node;
    }

    /**
     * @param payload a payload text
     * @return its JSON tree, or the text as a JSON string when it is not JSON
     */
    public static JsonNode payloadTree(final String payload) {
        try {
            return JSON.readTree(payload);
        } catch (JsonProcessingException e) {
            return JSON.getNodeFactory().textNode(payload);
        }
    }

    /**
     * @param node a JSON tree
     * @return it as compact text
     */
    public static String write(final JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
