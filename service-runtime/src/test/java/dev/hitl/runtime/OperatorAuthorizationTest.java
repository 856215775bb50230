package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.exceptions.ConfigurationException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorAuthorizationTest {

    private static final String ALICE = "alice-s3cret-token";
    private static final String BOB = "bob-s3cret-token";

    /** Alice configured by the hash of her token only, Bob by his token. */
    private final OperatorAuthorization operators = new OperatorAuthorization(OperatorSettings.from(
            new io.micronaut.context.env.PropertySourcePropertyResolver(io.micronaut.context.env.MapPropertySource.of(
                    "config",
                    Map.of(
                            "hitl.operators.alice.token-sha256",
                            OperatorSettings.sha256Hex(ALICE),
                            "hitl.operators.bob.token",
                            BOB)))));

    @Test
    void shouldNameTheOperatorWhoseTokenIsPresented() {
        assertThat(operators.authenticate("Bearer " + ALICE).operator())
                .isEqualTo(new OperatorAuthorization.Operator("alice"));
        assertThat(operators.authenticate("bearer " + BOB).operator())
                .isEqualTo(new OperatorAuthorization.Operator("bob"));
        assertThat(operators.authenticate("Bearer " + ALICE).refusal()).isNull();
        assertThat(operators.operator("Bearer " + BOB))
                .map(OperatorAuthorization.Operator::name)
                .contains("bob");
        assertThat(operators.refusal("Bearer " + ALICE)).isEmpty();
    }

    @Test
    void shouldRefuseAMissingOrWrongTokenWithoutTellingWhichOperatorsExist() {
        for (final String header : new String[] {null, "", "Bearer ", "Basic YWxpY2U6eA==", ALICE}) {
            final OperatorAuthorization.Authentication refused = operators.authenticate(header);
            assertThat(refused.isAuthenticated()).as(header).isFalse();
            assertThat(refused.refusal()).as(header).contains("needs an operator's token");
        }
        // A near miss of Alice's token, its hash (what the configuration holds), another operator's
        // name, and nobody's token: all refused alike.
        for (final String token : new String[] {
            ALICE + "x", ALICE.substring(1), OperatorSettings.sha256Hex(ALICE), "alice", "bob", "mallory-token"
        }) {
            final OperatorAuthorization.Authentication refused = operators.authenticate("Bearer " + token);
            assertThat(refused.operatorIfAuthenticated()).as(token).isEmpty();
            assertThat(refused.refusal()).as(token).isEqualTo("The operator's token is not valid");
            assertThat(operators.refusal("Bearer " + token)).contains("The operator's token is not valid");
        }
    }

    @Test
    void shouldRefuseTheDevelopmentTokenOnceAnyOperatorIsConfigured() {
        assertThat(operators
                        .authenticate("Bearer " + OperatorAuthorization.DEVELOPMENT_TOKEN)
                        .isAuthenticated())
                .isFalse();
        final OperatorAuthorization single =
                new OperatorAuthorization(OperatorSettings.ofTokens(Map.of("operator", "the-shared-token")));
        assertThat(single.authenticate("Bearer " + OperatorAuthorization.DEVELOPMENT_TOKEN)
                        .isAuthenticated())
                .isFalse();
        assertThat(single.authenticate("Bearer the-shared-token").operator().name())
                .isEqualTo("operator");
    }

    @Test
    void shouldAcceptTheDevelopmentTokenOnlyWhenNoOperatorIsConfigured() {
        final OperatorAuthorization unconfigured = new OperatorAuthorization(OperatorSettings.ofTokens(Map.of()));

        assertThat(unconfigured
                        .authenticate("Bearer " + OperatorAuthorization.DEVELOPMENT_TOKEN)
                        .operator())
                .isEqualTo(new OperatorAuthorization.Operator(OperatorAuthorization.DEVELOPMENT_OPERATOR));
        assertThat(unconfigured.authenticate("Bearer " + ALICE).isAuthenticated())
                .isFalse();
    }

    @Test
    void shouldRefuseToStartWithoutOperatorsOrWithTheDevelopmentTokenOutsideTheLocalEnvironment() {
        assertThatThrownBy(() ->
                        new OperatorAuthorization(OperatorSettings.ofTokens(Map.of()), DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("HITL_OPERATORS")
                .hasMessageContaining("MICRONAUT_ENVIRONMENTS=local");
        assertThatThrownBy(() -> new OperatorAuthorization(
                        OperatorSettings.ofTokens(
                                Map.of("alice", ALICE, "mallory", OperatorAuthorization.DEVELOPMENT_TOKEN)),
                        DevelopmentMode.production()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("development operator token");
        assertThat(new OperatorAuthorization(
                                OperatorSettings.ofTokens(Map.of("alice", ALICE)), DevelopmentMode.production())
                        .authenticate("Bearer " + ALICE)
                        .operator()
                        .name())
                .isEqualTo("alice");
    }

    @Test
    void shouldTellManyOperatorsApart() {
        final Map<String, String> tokens = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            tokens.put("operator-" + i, "token-of-operator-" + i);
        }
        final OperatorAuthorization many = new OperatorAuthorization(OperatorSettings.ofTokens(tokens));

        tokens.forEach((name, token) -> assertThat(
                        many.authenticate("Bearer " + token).operator().name())
                .isEqualTo(name));
    }
}
