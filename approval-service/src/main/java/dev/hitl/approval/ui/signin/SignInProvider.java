package dev.hitl.approval.ui.signin;

/**
 * Another way to sign in, shown on the sign-in page as a "Sign in with {name}" button leading to
 * {@code /oauth/login/{id}} (Micronaut Security's OAuth 2.0 / OpenID Connect login path). {@link
 * SignInProviders} makes one for the configured single sign-on ({@code HITL_OIDC_*}).
 *
 * @param id the provider's id, as in {@code micronaut.security.oauth2.clients.<id>}
 * @param name the provider's name, as reviewers know it
 */
public record SignInProvider(String id, String name) {}
