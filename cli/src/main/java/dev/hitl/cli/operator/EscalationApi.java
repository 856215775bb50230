package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
import java.time.Duration;
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

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            description = "How long to wait for the service's answer. Default: 30s.")
    private Duration timeout;

    @Option(names = "--json", description = "Print the API's answer as it is (for scripts).")
    private boolean json;

    @Mixin
    private OperatorToken token;

    /**
     * @param cli the root command
     * @return the client
     */
    public OperatorApi client(final HitlCli cli) {
        return new OperatorApi(
                "escalation service",
                ServiceUrl.resolve(url, cli.env(), "HITL_ESCALATION_URL", DEFAULT_URL),
                token.resolve(cli.env()),
                token.source(),
                timeout,
                json);
    }
}
