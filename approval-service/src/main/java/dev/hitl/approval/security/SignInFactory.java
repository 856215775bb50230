package dev.hitl.approval.security;

import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The sign-in throttle and the client-address rule, from {@link SignInSettings}. */
@Factory
public class SignInFactory {

    /**
     * @param settings {@code hitl.approval.sign-in.*}
     * @return the throttle every password sign-in goes through
     */
    @Singleton
    public SignInThrottle signInThrottle(final SignInSettings settings) {
        return new SignInThrottle(
                settings.getAccount().limit(),
                settings.getAddress().limit(),
                settings.getMaxTracked(),
                Clock.systemUTC());
    }

    /**
     * @param settings {@code hitl.approval.sign-in.client-address-header}
     * @return how a request's client address is found
     */
    @Singleton
    public ClientAddresses clientAddresses(final SignInSettings settings) {
        return new ClientAddresses(settings.getClientAddressHeader());
    }
}
