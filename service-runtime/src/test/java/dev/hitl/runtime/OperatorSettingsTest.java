package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.env.MapPropertySource;
import io.micronaut.context.env.PropertySource;
import io.micronaut.context.env.PropertySourcePropertyResolver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorSettingsTest {

    /** As the services' application.yml maps the environment. */
    private static final Map<String, Object> APPLICATION_YML = Map.of(
            OperatorSettings.LIST, "${HITL_OPERATORS:}", OperatorSettings.SINGLE_TOKEN, "${HITL_OPERATOR_TOKEN:}");

    private static final String ALICE = "alice-token-0123456789";
    private static final String BOB = "bob-token-9876543210";

    @Test
    void shouldReadNamedOperatorsFromHashesAndTokensWithTheirOwnNames() {
        final OperatorSettings settings = settings(
                Map.of(
                        "hitl.operators.alice.token-sha256",
                        OperatorSettings.sha256Hex(ALICE).toUpperCase(),
                        "hitl.operators.bob.token",
                        BOB),
                Map.of());

        assertThat(settings.credentials())
                .containsExactly(
                        new OperatorSettings.Credential("alice", OperatorSettings.sha256Hex(ALICE)),
                        new OperatorSettings.Credential("bob", OperatorSettings.sha256Hex(BOB)));
    }

    @Test
    void shouldHashTheTokenAsSha256sumDoes() {
        // printf %s 'test' | sha256sum
        assertThat(OperatorSettings.sha256Hex("test"))
                .isEqualTo("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    }

    @Test
    void shouldReadTheOperatorsListFromTheEnvironmentAsMicronautMapsIt() {
        final OperatorSettings settings = settings(
                Map.of(),
                Map.of(
                        "HITL_OPERATORS",
                        " alice@example.com:" + OperatorSettings.sha256Hex(ALICE) + ",\n bob:"
                                + OperatorSettings.sha256Hex(BOB) + " "));

        assertThat(settings.credentials())
                .extracting(OperatorSettings.Credential::name)
                .containsExactly("alice@example.com", "bob");
    }

    @Test
    void shouldKeepHitlOperatorTokenAsTheOperatorNamedOperatorNextToNamedOnes() {
        final OperatorSettings settings = settings(
                Map.of("hitl.operators.alice.token", ALICE),
                Map.of("HITL_OPERATOR_TOKEN", "the-old-shared-token", "HITL_OPERATORS", ""));

        assertThat(settings.credentials())
                .containsExactly(
                        new OperatorSettings.Credential("alice", OperatorSettings.sha256Hex(ALICE)),
                        new OperatorSettings.Credential(
                                "operator", OperatorSettings.sha256Hex("the-old-shared-token")));
    }

    @Test
    void shouldReadTheFormerKeyHitlOperatorsTokenAsTheOperatorNamedOperator() {
        assertThat(settings(Map.of("hitl.operators.token", "older-config-token"), Map.of())
                        .credentials())
                .containsExactly(
                        new OperatorSettings.Credential("operator", OperatorSettings.sha256Hex("older-config-token")));
    }

    @Test
    void shouldConfigureNobodyWhenNothingIsSet() {
        assertThat(settings(Map.of("hitl.operators.token", ""), Map.of("HITL_OPERATOR_TOKEN", ""))
                        .credentials())
                .isEmpty();
    }

    @Test
    void shouldStopAtStartOnAMisspeltOrIncompleteOperatorRatherThanOpenTheDevelopmentToken() {
        assertThatThrownBy(() -> settings(Map.of("hitl.operators.alice.tokn-sha256", "ab"), Map.of()))
                .hasMessageContaining("hitl.operators.alice names no token");
        assertThatThrownBy(() -> settings(Map.of("hitl.operators.alice.token-sha256", ""), Map.of()))
                .hasMessageContaining("hitl.operators.alice names no token");
        assertThatThrownBy(() -> settings(Map.of("hitl.operators.file", "/etc/operators"), Map.of()))
                .hasMessageContaining("hitl.operators.file names no token");
        assertThatThrownBy(() -> settings(Map.of("hitl.operators.alice.token-sha256", "abc123"), Map.of()))
                .hasMessageContaining("hitl.operators.alice.token-sha256 must be the 64 hex digits");
        assertThatThrownBy(() ->
                        settings(Map.of(), Map.of("HITL_OPERATORS", "alice=" + OperatorSettings.sha256Hex(ALICE))))
                .hasMessageContaining("HITL_OPERATORS");
        assertThatThrownBy(() -> settings(Map.of(), Map.of("HITL_OPERATORS", "alice:" + ALICE)))
                .hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> settings(
                        Map.of(), Map.of("HITL_OPERATORS", "escalation:x:" + OperatorSettings.sha256Hex(ALICE))))
                .hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> settings(
                        Map.of(
                                "hitl.operators.alice.token",
                                ALICE,
                                "hitl.operators.alice.token-sha256",
                                OperatorSettings.sha256Hex(BOB)),
                        Map.of()))
                .hasMessageContaining("disagree");
    }

    @Test
    void shouldRefuseTwoOperatorsWithOneTokenOrOneNameTwice() {
        assertThatThrownBy(() -> settings(
                        Map.of("hitl.operators.alice.token", ALICE, "hitl.operators.bob.token", ALICE), Map.of()))
                .hasMessageContaining("'alice' and 'bob' have the same token");
        assertThatThrownBy(() -> settings(
                        Map.of("hitl.operators.alice.token", ALICE),
                        Map.of("HITL_OPERATORS", "alice:" + OperatorSettings.sha256Hex(BOB))))
                .hasMessageContaining("'alice' is configured twice");
        assertThatThrownBy(() ->
                        settings(Map.of("hitl.operators.operator.token", ALICE), Map.of("HITL_OPERATOR_TOKEN", BOB)))
                .hasMessageContaining("'operator' is configured twice");
    }

    @Test
    void shouldRefuseNamesThatCouldPassForSomethingElse() {
        for (final String name : List.of("", "-alice", "alice bob", "escalation:rule", "x".repeat(101))) {
            assertThatThrownBy(() -> OperatorSettings.ofTokens(Map.of(name, ALICE)))
                    .as(name)
                    .hasMessageContaining("an operator's name is");
        }
    }

    /**
     * @param config configuration as application.yml or test properties give it
     * @param environment environment variables, mapped as Micronaut maps them (split on '_')
     */
    private static OperatorSettings settings(final Map<String, Object> config, final Map<String, Object> environment) {
        final Map<String, Object> all = new HashMap<>(APPLICATION_YML);
        all.putAll(config);
        final PropertySourcePropertyResolver resolver = new PropertySourcePropertyResolver(
                MapPropertySource.of("config", all), new EnvironmentVariables(environment));
        return OperatorSettings.from(resolver);
    }

    /** Environment variables, mapped by Micronaut's convention for them, e.g. {@code HITL_OPERATORS}. */
    private static final class EnvironmentVariables extends MapPropertySource {

        EnvironmentVariables(final Map<String, Object> variables) {
            super("env", variables);
        }

        @Override
        public int getOrder() {
            return 100;
        }

        @Override
        public PropertySource.PropertyConvention getConvention() {
            return PropertySource.PropertyConvention.ENVIRONMENT_VARIABLE;
        }
    }
}
