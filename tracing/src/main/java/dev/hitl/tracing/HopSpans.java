package dev.hitl.tracing;

/**
 * The span names of the approval path: one span per hop, named {@code hitl <hop>}, the same in every
 * service and SDK (Java and Python), so a trace reads the same whoever made it.
 *
 * <p>Who makes which span, and whether it is the child of the record that caused it or a new trace
 * <b>linked</b> to it. The rule: a hop is the child of the record it processes while a machine acts
 * on it at once; across a human's wait (minutes to days) the later hop starts its own trace and links
 * to the earlier one, so no trace stays open for hours and a backend can still join them.
 *
 * <table>
 *   <caption>Hops</caption>
 *   <tr><th>hop</th><th>made by</th><th>span</th><th>kind</th><th>parent</th><th>link</th></tr>
 *   <tr><td>proposal</td><td>agent SDKs</td><td>{@value #PROPOSE}</td><td>PRODUCER</td>
 *       <td>the agent's current context (its tool call)</td><td>none</td></tr>
 *   <tr><td>classification</td><td>classifier</td><td>{@value #CLASSIFY}</td><td>CONSUMER</td>
 *       <td>the proposal record's context</td><td>none</td></tr>
 *   <tr><td>request</td><td>escalation</td><td>{@value #REQUEST}</td><td>CONSUMER</td>
 *       <td>the pending record's context; the vote record's when a vote opens the next stage or a
 *       modification asks again; none (a new trace) when a deadline escalates</td>
 *       <td>the previous request's context, when there was one</td></tr>
 *   <tr><td>vote</td><td>approval service, reviewer apps</td><td>{@value #VOTE}</td><td>PRODUCER</td>
 *       <td>the reviewer's own context (e.g. its HTTP request), else a new trace</td>
 *       <td>the request record's context</td></tr>
 *   <tr><td>decision</td><td>classifier (its own decisions), escalation</td><td>{@value #DECIDE}</td>
 *       <td>CONSUMER</td><td>the record that decided: the classify span (classifier), the vote or the
 *       withdrawal (escalation); none (a new trace) when a deadline decides</td>
 *       <td>the request's context (escalation), when it had one</td></tr>
 *   <tr><td>decision received</td><td>agent SDKs</td><td>{@value #DECISION_RECEIVED}</td>
 *       <td>CONSUMER</td><td>the decision record's context</td><td>the proposal's span</td></tr>
 *   <tr><td>audit</td><td>audit</td><td>{@value #AUDIT}</td><td>CONSUMER</td>
 *       <td>the audited record's context</td><td>none</td></tr>
 * </table>
 *
 * <p>Each hop's span context is written to the headers of the records it produces ({@link
 * TraceHeaders#inject}), so the next hop finds its parent there.
 */
public final class HopSpans {

    /** The agent proposes an action (SDKs). */
    public static final String PROPOSE = "hitl propose";
    /** The classifier validates, classifies and routes a proposal. */
    public static final String CLASSIFY = "hitl classify";
    /** The escalation service opens (or escalates) an approval request. */
    public static final String REQUEST = "hitl request";
    /** A reviewer's vote is cast (approval service, reviewer apps). */
    public static final String VOTE = "hitl vote";
    /** A decider makes the one final decision. */
    public static final String DECIDE = "hitl decide";
    /** The agent SDK receives the verified decision of its proposal. */
    public static final String DECISION_RECEIVED = "hitl decision";
    /** The audit service appends a record to the audit log. */
    public static final String AUDIT = "hitl audit";

    private HopSpans() {}
}
