package dev.hitl.approval.security;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.security.authentication.AuthenticationFailureReason;
import io.micronaut.security.authentication.AuthenticationRequest;
import io.micronaut.security.authentication.AuthenticationResponse;
import io.micronaut.security.authentication.provider.HttpRequestAuthenticationProvider;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Signs in local reviewers against their bcrypt password hashes. The token carries the reviewer's
 * groups as roles, so every request knows what the reviewer may see and answer.
 *
 * @param <B> the request body type
 */
@Singleton
public class LocalReviewersAuthenticationProvider<B> implements HttpRequestAuthenticationProvider<B> {

    // Compared against when the user is unknown, so unknown and known users take the same time.
    private static final String DUMMY_HASH = BCrypt.withDefaults().hashToString(10, "not-a-password".toCharArray());

    private final Map<String, ReviewerSettings> users;

    /** @param users the configured reviewers */
    public LocalReviewersAuthenticationProvider(final List<ReviewerSettings> users) {
        this.users = users.stream().collect(Collectors.toMap(ReviewerSettings::getName, Function.identity()));
    }

    @Override
    public @NonNull AuthenticationResponse authenticate(
            @Nullable final HttpRequest<B> request,
            @NonNull final AuthenticationRequest<String, String> authentication) {
        final ReviewerSettings user = users.get(authentication.getIdentity());
        final String hash = user == null || user.getPasswordHash() == null ? DUMMY_HASH : user.getPasswordHash();
        final boolean verified = BCrypt.verifyer()
                .verify(
                        authentication.getSecret().getBytes(StandardCharsets.UTF_8),
                        hash.getBytes(StandardCharsets.UTF_8))
                .verified;
        if (user == null || !verified) {
            return AuthenticationResponse.failure(AuthenticationFailureReason.CREDENTIALS_DO_NOT_MATCH);
        }
        return AuthenticationResponse.success(
                user.getName(), user.getGroups(), Map.of("name", user.getDisplayName(), "groups", user.getGroups()));
    }
}
