package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The audit service's API ({@code /audit/...}): its URL, your audit API token (a role of the audit
 * API, e.g. {@code policy-author}), the answer's timeout and the raw JSON output.
 */
public final class AuditApi {

    /** The local stack's audit service. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8094";

    @Option(
            names = "--audit-url",
            paramLabel = "URL",
            description = "The audit service. Default: $HITL_AUDIT_URL, else " + DEFAULT_URL + ".")
    private String url;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "5m",
            description = "How long to wait for the service's answer. Default: 5m.")
    private Duration timeout;

    @Option(names = "--json", description = "Print the API's answer as it is (for scripts).")
    private boolean json;

    @Mixin
    private AuditToken token;

    /**
     * @param cli the root command
     * @return the client
     */
    public OperatorApi client(final HitlCli cli) {
        return new OperatorApi(
                "audit service",
                ServiceUrl.resolve(url, cli.env(), "HITL_AUDIT_URL", DEFAULT_URL),
                token.resolve(cli.env()),
                token.source(),
                timeout,
                json,
                "audit token",
                "--audit-url (HITL_AUDIT_URL)",
                "give your own audit API token (a client of HITL_AUDIT_CLIENTS with the role the endpoint needs, or a"
                        + " JWT of the organisation's provider) with --token-file, HITL_AUDIT_TOKEN_FILE or"
                        + " HITL_AUDIT_TOKEN");
    }
}
