package dev.hitl.testkit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token endpoint's answer.
 *
 * @param accessToken the access token (a JWT with Keycloak)
 * @param idToken the ID token, or null when the scope had no {@code openid} (client credentials)
 * @param refreshToken the refresh token, or null
 * @param expiresIn the access token's lifetime in seconds
 * @param response every field of the answer
 */
public record OidcTokens(
        String accessToken, String idToken, String refreshToken, long expiresIn, Map<String, Object> response) {

    public OidcTokens {
        response = Collections.unmodifiableMap(new LinkedHashMap<>(response));
    }

    static OidcTokens of(final Map<String, Object> response) {
        final Object expiresIn = response.get("expires_in");
        return new OidcTokens(
                (String) response.get("access_token"),
                (String) response.get("id_token"),
                (String) response.get("refresh_token"),
                expiresIn instanceof Number n ? n.longValue() : 0L,
                response);
    }

    /** @return {@code Authorization} header value for the access token */
    public String bearer() {
        return "Bearer " + accessToken;
    }
}
