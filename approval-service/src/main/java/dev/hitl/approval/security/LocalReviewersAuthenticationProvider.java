package dev.hitl.approval.security;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.micrometer.core.instrument.MeterRegistry;
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
 * <p>Every attempt first goes through the {@link SignInThrottle} (per user name and per client
 * address): a refused attempt answers {@link SignInRefused} without checking the password. Each
 * outcome counts in {@code hitl.approval.sign-in.attempts{result=succeeded|failed|refused,
 * reason=none|account-slowed|account-locked|address-slowed|address-locked}}.
 *
 * @param <B> the request body type
 */
@Singleton
public class LocalReviewersAuthenticationProvider<B> implements HttpRequestAuthenticationProvider<B> {

    /** The counter of sign-in attempts. */
    public static final String METRIC = "hitl.approval.sign-in.attempts";

    // Compared against when the user is unknown, so unknown and known users take the same time.
    private static final String DUMMY_HASH = BCrypt.withDefaults().hashToString(10, "not-a-password".toCharArray());

    private final Map<String, ReviewerSettings> users;
    private final SignInThrottle throttle;
    private final ClientAddresses addresses;
    private final MeterRegistry meters;

    /**
     * @param users the configured reviewers
     * @param throttle counts failed attempts per account and address
     * @param addresses finds a request's client address
     * @param meters where the attempts are counted
     */
    public LocalReviewersAuthenticationProvider(
            final List<ReviewerSettings> users,
            final SignInThrottle throttle,
            final ClientAddresses addresses,
            final MeterRegistry meters) {
        this.users = users.stream().collect(Collectors.toMap(ReviewerSettings::getName, Function.identity()));
        this.throttle = throttle;
        this.addresses = addresses;
        this.meters = meters;
    }

    @Override
    public @NonNull AuthenticationResponse authenticate(
            @Nullable final HttpRequest<B> request,
            @NonNull final AuthenticationRequest<String, String> authentication) {
        final String name = authentication.getIdentity();
        final SignInThrottle.Attempt attempt = throttle.begin(name, addresses.of(request));
        if (attempt.refusal().isPresent()) {
            final SignInThrottle.Refusal refusal = attempt.refusal().get();
            count("refused", refusal.scope().label() + (refusal.locked() ? "-locked" : "-slowed"));
            return new SignInRefused(refusal);
        }
        final ReviewerSettings user = users.get(name);
        final String hash = user == null || user.getPasswordHash() == null ? DUMMY_HASH : user.getPasswordHash();
        final String secret = authentication.getSecret() == null ? "" : authentication.getSecret();
        final boolean verified = BCrypt.verifyer()
                .verify(secret.getBytes(StandardCharsets.UTF_8), hash.getBytes(StandardCharsets.UTF_8))
                .verified;
        if (user == null || !verified) {
            count("failed", "none"); // already counted by the throttle when the attempt began
            return AuthenticationResponse.failure(AuthenticationFailureReason.CREDENTIALS_DO_NOT_MATCH);
        }
        attempt.succeeded();
        count("succeeded", "none");
        return AuthenticationResponse.success(
                user.getName(), user.getGroups(), Map.of("name", user.getDisplayName(), "groups", user.getGroups()));
    }

    private void count(final String result, final String reason) {
        meters.counter(METRIC, "result", result, "reason", reason).increment();
    }
}
