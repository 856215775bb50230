package dev.hitl.cli.operator;

import dev.hitl.cli.CliException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/** Where a service's operator API is: the command line, else a variable, else the local stack's port. */
final class ServiceUrl {

    private ServiceUrl() {}

    /**
     * @param option the command line's value, or null
     * @param env the environment
     * @param variable the variable
     * @param fallback the local stack's URL
     * @return the base URL, without a trailing slash
     */
    static URI resolve(
            final String option, final Map<String, String> env, final String variable, final String fallback) {
        final String fromEnv = env.get(variable);
        final String url = option != null ? option : fromEnv != null && !fromEnv.isBlank() ? fromEnv.trim() : fallback;
        try {
            final URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw CliException.error("'" + url + "' is not an http(s) URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw CliException.error("'" + url + "' is not a URL: " + e.getMessage());
        }
    }
}
