package dev.hitl.approval.ui;

import io.micronaut.http.HttpRequest;
import io.micronaut.security.token.reader.TokenReader;
import jakarta.inject.Singleton;
import java.util.Optional;

/**
 * Reads the web UI's session cookie, for {@code /ui} paths only: the JSON API keeps bearer tokens,
 * so a cookie can never authenticate an API call (no cross-site request rides on it there).
 */
@Singleton
public class UiCookieTokenReader implements TokenReader<HttpRequest<?>> {

    private final UiSession session;

    /** @param session the UI session */
    public UiCookieTokenReader(final UiSession session) {
        this.session = session;
    }

    @Override
    public Optional<String> findToken(final HttpRequest<?> request) {
        final String path = request.getPath();
        if (!path.equals("/ui") && !path.startsWith("/ui/")) {
            return Optional.empty();
        }
        return session.token(request);
    }
}
