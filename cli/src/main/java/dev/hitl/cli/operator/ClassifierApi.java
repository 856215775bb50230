package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The classifier's operator API ({@code /policy}, {@code /agents}): its URL, the operator's token, the output. */
public final class ClassifierApi {

    /** The local stack's classifier. */
    public static final String DEFAULT_URL = "http://127.0.0.1:8091";

    @Option(
            names = "--classifier-url",
            paramLabel = "URL",
            description = "The classifier. Default: $HITL_CLASSIFIER_URL, else " + DEFAULT_URL + ".")
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
                "classifier",
                ServiceUrl.resolve(url, cli.env(), "HITL_CLASSIFIER_URL", DEFAULT_URL),
                token.resolve(cli.env()),
                token.source(),
                timeout,
                json);
    }
}
