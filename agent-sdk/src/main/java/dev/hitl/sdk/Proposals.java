package dev.hitl.sdk;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Builds {@link ProposedAction}s with the context a reviewer needs. The action id is generated when
 * not given; keep the built proposal (or its id) to resend it after a crash: a resend with the same
 * id is decided once.
 *
 * <pre>{@code
 * ProposedAction action = Proposals.action("email.send", "gmail", "{\"to\":\"ann@example.org\"}")
 *         .onBehalfOf("alice@example.com")
 *         .userRequest("Answer Ann's question about her invoice")
 *         .rationale("Ann asked twice; the answer is in the invoice")
 *         .inputTrust(InputTrust.USER)
 *         .build();
 * }</pre>
 */
public final class Proposals {

    private final String actionType;
    private final String tool;
    private final String arguments;
    private String actionId;
    private String agentId;
    private String onBehalfOf;
    private String sessionId;
    private String target;
    private Money estimatedCost;
    private Double confidence;
    private final List<String> systemsAffected = new ArrayList<>();
    private InputTrust inputTrust = InputTrust.UNKNOWN;
    private String domain;
    private String instructionConflict;
    private String batchId;
    private Integer batchSize;
    private final ActionContext.Builder context = ActionContext.newBuilder();
    private Instant replyBy;
    private Clock clock = Clock.systemUTC();

    private Proposals(final String actionType, final String tool, final String arguments) {
        this.actionType = Objects.requireNonNull(actionType, "actionType");
        this.tool = Objects.requireNonNull(tool, "tool");
        this.arguments = Objects.requireNonNull(arguments, "arguments");
    }

    /**
     * @param actionType e.g. {@code email.send}
     * @param tool the tool that would act, e.g. {@code gmail}
     * @param arguments the tool call's arguments as a JSON object
     * @return a builder
     */
    public static Proposals action(final String actionType, final String tool, final String arguments) {
        return new Proposals(actionType, tool, arguments);
    }

    /** @param actionId a stable id for this action (generated when not given) @return this builder */
    public Proposals actionId(final String actionId) {
        this.actionId = actionId;
        return this;
    }

    /** @param agentId the agent (the client fills in its own when not given) @return this builder */
    public Proposals agentId(final String agentId) {
        this.agentId = agentId;
        return this;
    }

    /** @param person the human the agent works for @return this builder */
    public Proposals onBehalfOf(final String person) {
        this.onBehalfOf = person;
        return this;
    }

    /** @param sessionId the agent's conversation or run @return this builder */
    public Proposals sessionId(final String sessionId) {
        this.sessionId = sessionId;
        return this;
    }

    /** @param target the resource acted on @return this builder */
    public Proposals target(final String target) {
        this.target = target;
        return this;
    }

    /** @param amount the estimated cost @param currency its ISO 4217 code @return this builder */
    public Proposals estimatedCost(final BigDecimal amount, final String currency) {
        this.estimatedCost = new Money(amount, currency);
        return this;
    }

    /** @param confidence from 0 to 1 @return this builder */
    public Proposals confidence(final double confidence) {
        this.confidence = confidence;
        return this;
    }

    /** @param systems the systems the action touches @return this builder */
    public Proposals systemsAffected(final String... systems) {
        this.systemsAffected.addAll(List.of(systems));
        return this;
    }

    /** @param trust how far the input that led here can be trusted @return this builder */
    public Proposals inputTrust(final InputTrust trust) {
        this.inputTrust = trust;
        return this;
    }

    /** @param domain the business domain @return this builder */
    public Proposals domain(final String domain) {
        this.domain = domain;
        return this;
    }

    /** @param conflict a conflict with earlier instructions the agent noticed @return this builder */
    public Proposals instructionConflict(final String conflict) {
        this.instructionConflict = conflict;
        return this;
    }

    /** @param id the batch this action belongs to @param size how many actions it holds @return this builder */
    public Proposals batch(final String id, final int size) {
        this.batchId = id;
        this.batchSize = size;
        return this;
    }

    /** @param request what the user asked @return this builder */
    public Proposals userRequest(final String request) {
        context.setUserRequest(request);
        return this;
    }

    /** @param steps what the agent did so far, oldest first @return this builder */
    public Proposals stepsSoFar(final String... steps) {
        context.setStepsSoFar(List.of(steps));
        return this;
    }

    /** @param rationale why the agent wants this action @return this builder */
    public Proposals rationale(final String rationale) {
        context.setRationale(rationale);
        return this;
    }

    /** @param alternatives what else the agent considered @return this builder */
    public Proposals alternatives(final String... alternatives) {
        context.setAlternatives(List.of(alternatives));
        return this;
    }

    /** @param outcome what the agent expects to happen @return this builder */
    public Proposals expectedOutcome(final String outcome) {
        context.setExpectedOutcome(outcome);
        return this;
    }

    /** @param risks the risks the agent sees @return this builder */
    public Proposals risks(final String... risks) {
        context.setRisks(List.of(risks));
        return this;
    }

    /** @param replyBy after this the agent no longer waits @return this builder */
    public Proposals replyBy(final Instant replyBy) {
        this.replyBy = replyBy;
        return this;
    }

    /** @param clock the clock for proposedAt (tests) @return this builder */
    public Proposals clock(final Clock clock) {
        this.clock = clock;
        return this;
    }

    /** @return the proposal; agentId may still be empty for the client to fill in */
    public ProposedAction build() {
        return ProposedAction.newBuilder()
                .setActionId(actionId == null ? UUID.randomUUID().toString() : actionId)
                .setAgentId(agentId == null ? "" : agentId)
                .setOnBehalfOf(onBehalfOf == null ? "" : onBehalfOf)
                .setSessionId(sessionId)
                .setActionType(actionType)
                .setTool(tool)
                .setTarget(target)
                .setArguments(arguments)
                .setEstimatedCost(estimatedCost)
                .setConfidence(confidence)
                .setSystemsAffected(List.copyOf(systemsAffected))
                .setInputTrust(inputTrust)
                .setDomain(domain)
                .setInstructionConflict(instructionConflict)
                .setBatchId(batchId)
                .setBatchSize(batchSize)
                .setContext(context.build())
                .setProposedAt(clock.instant())
                .setReplyBy(replyBy)
                .build();
    }
}
