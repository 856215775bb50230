package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.exceptions.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Development secrets and built-in accounts: only in the local environment. */
class SecureDefaultsTest {

    private static final DevelopmentMode PRODUCTION = DevelopmentMode.production();
    private static final DevelopmentMode LOCAL = DevelopmentMode.local();
    private static final String OWN_SECRET = "b3Blbi1zZXNhbWUtbm90LXJlYWxseS1idXQtbG9uZy1lbm91Z2g";

    private static ReviewerSettings account(final String name, final String hash) {
        final ReviewerSettings user = new ReviewerSettings(name);
        user.setPasswordHash(hash);
        user.setGroups(List.of("reviewers"));
        return user;
    }

    @Test
    void shouldRefuseTheDevelopmentJwtSecretOutsideTheLocalEnvironment() {
        assertThatThrownBy(() -> SecureDefaults.checkJwtSecret(SecureDefaults.DEVELOPMENT_JWT_SECRET, PRODUCTION))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the development JWT secret")
                .hasMessageContaining("HITL_JWT_SECRET")
                .hasMessageContaining("MICRONAUT_ENVIRONMENTS=local");
        assertThatCode(() -> SecureDefaults.checkJwtSecret(SecureDefaults.DEVELOPMENT_JWT_SECRET, LOCAL))
                .doesNotThrowAnyException();
        assertThatCode(() -> SecureDefaults.checkJwtSecret(OWN_SECRET, PRODUCTION))
                .doesNotThrowAnyException();
    }

    @Test
    void shouldRefuseAnEmptyOrShortJwtSecretEverywhere() {
        for (final DevelopmentMode mode : List.of(PRODUCTION, LOCAL)) {
            for (final String secret : new String[] {null, "", "   "}) {
                assertThatThrownBy(() -> SecureDefaults.checkJwtSecret(secret, mode))
                        .isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("without a JWT secret")
                        .hasMessageContaining("HITL_JWT_SECRET");
            }
            assertThatThrownBy(() -> SecureDefaults.checkJwtSecret("x".repeat(31), mode))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("31 bytes")
                    .hasMessageContaining("HITL_JWT_SECRET")
                    .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage())
                            .doesNotContain("x".repeat(31)));
        }
    }

    @Test
    void shouldRefuseAnAccountWithABuiltInAccountsHashOutsideTheLocalEnvironment() {
        SecureDefaults.BUILT_IN_PASSWORD_HASHES.forEach((builtIn, hash) -> {
            // Under its own name, or copied to another (the password is still public).
            for (final String name : List.of(builtIn, "alice")) {
                assertThatThrownBy(() -> SecureDefaults.checkAccounts(List.of(account(name, hash)), PRODUCTION))
                        .isInstanceOf(ConfigurationException.class)
                        .hasMessageContaining("hitl.approval.users." + name + ".password-hash")
                        .hasMessageContaining("built-in account " + builtIn);
                assertThatCode(() -> SecureDefaults.checkAccounts(List.of(account(name, hash)), LOCAL))
                        .doesNotThrowAnyException();
            }
        });
        // An account of one's own (the bcrypt hash of another password) starts anywhere, also named reviewer.
        final String own = at.favre.lib.crypto.bcrypt.BCrypt.withDefaults()
                .hashToString(4, "correct horse battery staple".toCharArray());
        assertThatCode(() -> SecureDefaults.checkAccounts(
                        List.of(account("reviewer", own), account("alice", own)), PRODUCTION))
                .doesNotThrowAnyException();
        assertThatCode(() -> SecureDefaults.checkAccounts(List.of(), PRODUCTION))
                .doesNotThrowAnyException();
    }
}
