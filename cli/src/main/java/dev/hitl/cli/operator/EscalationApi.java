package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The escalation service's operator API ({@code /agents/{id}/halt|resume}, {@code /voters}): its URL, the operator's token, the output. */
public final class EscalationApi {

    /** The local stack's escalation service. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8092";

    @Option(
            names = "--escalation-url",
            paramLabel = "URL",
            description = "The escalation service. Default: $HITL_ESCALATION_URL, else " + DEFAULT_URL + ".")
    private String url;

    @Mixin
    private OperatorCallOptions options;

    /**
     * @param cli the root command
     * @return the client
     */
    public OperatorApi client(final HitlCli cli) {
        return options.client(cli, "escalation service", url, "HITL_ESCALATION_URL", DEFAULT_URL);
    }
}
