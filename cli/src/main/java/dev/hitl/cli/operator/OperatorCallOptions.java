package dev.hitl.cli.operator;

import dev.hitl.cli.HitlCli;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What every operator-API command shares, whichever service it calls: the answer's timeout, the
 * raw JSON output and the operator's token. Each service's own mixin ({@link ClassifierApi},
 * {@link EscalationApi}) adds only its URL option.
 */
public final class OperatorCallOptions {

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
     * @param service the service's name, for messages
     * @param url the URL given on the command line, or null
     * @param urlVariable the environment variable that names the URL otherwise
     * @param defaultUrl the local stack's URL of the service
     * @return the client
     */
    OperatorApi client(
            final HitlCli cli,
            final String service,
            final String url,
            final String urlVariable,
            final String defaultUrl) {
        return new OperatorApi(
                service,
                ServiceUrl.resolve(url, cli.env(), urlVariable, defaultUrl),
                token.resolve(cli.env()),
                token.source(),
                timeout,
                json);
    }
}
