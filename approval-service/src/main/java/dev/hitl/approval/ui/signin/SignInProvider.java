package dev.hitl.approval.ui.signin;

/**
 * Another way to sign in, shown on the sign-in page as a "Sign in with {name}" button leading to
 * {@code /oauth/login/{id}} (Micronaut Security's OAuth 2.0 / OpenID Connect login path). None is
 * configured today: a bean of this type (one per identity provider) is all the sign-in page needs to
 * offer it.
 *
 * @param id the provider's id, as in {@code micronaut.security.oauth2.clients.<id>}
 * @param name the provider's name, as reviewers know it
 */
public record SignInProvider(String id, String name) {}
