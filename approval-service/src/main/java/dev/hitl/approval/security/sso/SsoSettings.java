package dev.hitl.approval.security.sso;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * {@code hitl.approval.sso.*}: how reviewers signed in through the OpenID Connect provider are
 * named and grouped. Set from the {@code HITL_OIDC_*} environment by {@link SsoEnvironment}; the
 * provider itself (issuer, client id and secret, scopes) is Micronaut Security's client {@value
 * SsoEnvironment#PROVIDER}.
 */
@ConfigurationProperties("hitl.approval.sso")
public class SsoSettings {

    private boolean enabled;
    private String providerName = "single sign-on";
    private String groupsClaim = "groups";
    private String groupsPrefix = "";
    private String usernameClaim = "preferred_username";

    /** @return whether reviewers may sign in through the provider */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether reviewers may sign in through the provider */
    public void setEnabled(final boolean enabled) {
        this.enabled = enabled;
    }

    /** @return the provider's name on the sign-in button */
    public String getProviderName() {
        return providerName;
    }

    /** @param providerName the provider's name on the sign-in button */
    public void setProviderName(final String providerName) {
        this.providerName = providerName;
    }

    /** @return the ID token's claim holding the reviewer's groups */
    public String getGroupsClaim() {
        return groupsClaim;
    }

    /** @param groupsClaim the ID token's claim holding the reviewer's groups */
    public void setGroupsClaim(final String groupsClaim) {
        this.groupsClaim = groupsClaim;
    }

    /** @return removed from the start of each group name when present (empty: nothing removed) */
    public String getGroupsPrefix() {
        return groupsPrefix;
    }

    /** @param groupsPrefix removed from the start of each group name when present */
    public void setGroupsPrefix(final String groupsPrefix) {
        this.groupsPrefix = groupsPrefix == null ? "" : groupsPrefix;
    }

    /** @return the ID token's claim naming the reviewer */
    public String getUsernameClaim() {
        return usernameClaim;
    }

    /** @param usernameClaim the ID token's claim naming the reviewer */
    public void setUsernameClaim(final String usernameClaim) {
        this.usernameClaim = usernameClaim;
    }
}
