package dev.hitl.tracing;

import io.opentelemetry.api.common.AttributeKey;

/**
 * The attributes of hitl's spans: the OpenTelemetry GenAI semantic conventions for tool calls where
 * they apply (a proposal is an agent's tool call), and hitl's own under {@code hitl.*}. No
 * attribute carries a person's name or an action's arguments: traces leave the audit boundary.
 */
public final class HitlAttributes {

    /** GenAI semconv: the operation; {@value #EXECUTE_TOOL} on the proposal's span. */
    public static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    /** GenAI semconv: the tool the agent calls (the proposal's {@code tool}). */
    public static final AttributeKey<String> GEN_AI_TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    /** GenAI semconv: the tool call's id (hitl's actionId, which identifies the call). */
    public static final AttributeKey<String> GEN_AI_TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
    /** The value of {@link #GEN_AI_OPERATION_NAME} for a tool call. */
    public static final String EXECUTE_TOOL = "execute_tool";

    /** The action's id: on every hop's span, so one query finds the whole path of an action. */
    public static final AttributeKey<String> ACTION_ID = AttributeKey.stringKey("hitl.action_id");
    /** The proposing agent. */
    public static final AttributeKey<String> AGENT_ID = AttributeKey.stringKey("hitl.agent_id");
    /** The action type, e.g. {@code email.send}. */
    public static final AttributeKey<String> ACTION_TYPE = AttributeKey.stringKey("hitl.action_type");
    /** The risk class: READ_ONLY, REVERSIBLE_WRITE or IRREVERSIBLE. */
    public static final AttributeKey<String> RISK_CLASS = AttributeKey.stringKey("hitl.risk_class");
    /** The route's tier of a request. */
    public static final AttributeKey<String> TIER = AttributeKey.stringKey("hitl.tier");
    /** The escalation level of a request, from 0. */
    public static final AttributeKey<Long> ESCALATION_LEVEL = AttributeKey.longKey("hitl.escalation_level");
    /** The decision's outcome: APPROVED, REJECTED, TIMED_OUT, ... */
    public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("hitl.outcome");

    private HitlAttributes() {}
}
