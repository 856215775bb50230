package dev.hitl.approval.ui.signin;

import dev.hitl.approval.security.sso.SsoEnvironment;
import dev.hitl.approval.security.sso.SsoSettings;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Requires;
import jakarta.inject.Singleton;

/** The sign-in page's "Sign in with ..." button for the configured single sign-on. */
@Factory
public class SignInProviders {

    /**
     * @param settings the single sign-on's settings
     * @return the button leading to {@code /oauth/login/sso}
     */
    @Singleton
    @Requires(property = "hitl.approval.sso.enabled", value = "true")
    public SignInProvider singleSignOn(final SsoSettings settings) {
        return new SignInProvider(SsoEnvironment.PROVIDER, settings.getProviderName());
    }
}
