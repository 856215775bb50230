package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
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

    @Mixin
    private OperatorCallOptions options;

    /**
     * @param cli the root command
     * @return the client
     */
    public OperatorApi client(final HitlCli cli) {
        return options.client(cli, "classifier", url, "HITL_CLASSIFIER_URL", DEFAULT_URL);
    }
}
