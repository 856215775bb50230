package dev.hitl.classifier.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The wire format of a withdrawal: an agent that no longer wants an action it proposed writes a
 * tombstone (null value) on {@code hitl.actions.proposed} with key = actionId and the header
 * {@value #WITHDRAWN_BY} = its agentId (UTF-8), authenticated like a proposal (the {@code
 * hitl.auth} header over {@code AgentCredentials.withdrawalContent}, see {@link
 * AgentAuthenticator}). The agent SDK's {@code HitlClient.withdraw} writes exactly this. A
 * withdrawal not authenticated for the agent that proposed the action is refused.
 */
public final class Withdrawals {

    /** The header naming the agent that withdraws (same name in the SDK and the escalation service). */
    public static final String WITHDRAWN_BY = dev.hitl.schemas.topics.Withdrawals.WITHDRAWN_BY;

    /** Metric result: passed on to {@code hitl.approvals.pending}. */
    public static final String FORWARDED = "forwarded";
    /** Metric result: the classifier decided the action itself, or it was withdrawn already. */
    public static final String DECIDED = "decided";
    /** Metric result: no proposal with that id was seen (or it is forgotten). */
    public static final String UNKNOWN = "unknown";
    /** Metric result: not authenticated, or not by the agent that proposed the action. */
    public static final String REFUSED = "refused";

    private Withdrawals() {}

    /**
     * @param headers a tombstone's headers
     * @return the agent named by {@value #WITHDRAWN_BY}, or null
     */
    public static String withdrawnBy(final Headers headers) {
        final Header header = headers.lastHeader(WITHDRAWN_BY);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
