package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.exceptions.ConfigurationException;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Development secrets only in the explicit local environment (and tests). */
class DevelopmentModeTest {

    @Test
    void shouldAllowDevelopmentSecretsOnlyInTheLocalAndTestEnvironments() {
        assertThat(new DevelopmentMode(Set.of("local")).allowed()).isTrue();
        assertThat(new DevelopmentMode(Set.of("test")).allowed()).isTrue();
        assertThat(new DevelopmentMode(Set.of()).allowed()).isFalse();
        assertThat(new DevelopmentMode(Set.of("prod", "k8s", "cloud")).allowed())
                .isFalse();
        assertThatCode(() -> DevelopmentMode.local().require("x", "Y")).doesNotThrowAnyException();
        assertThatThrownBy(() -> new DevelopmentMode(Set.of("k8s")).require("the development key", "HITL_KEY_FILE"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("the development key")
                .hasMessageContaining("set HITL_KEY_FILE")
                .hasMessageContaining("[k8s]");
    }

    @Test
    void shouldFollowTheContextsEnvironmentsWithoutDeducingTestOnesWhenToldNotTo() {
        // Built, not started: only the environment is looked at.
        final ApplicationContext production = ApplicationContext.builder()
                .deduceEnvironment(false)
                .environments("production")
                .build();
        assertThat(new DevelopmentMode(production.getEnvironment()).allowed()).isFalse();
        final ApplicationContext local = ApplicationContext.builder()
                .deduceEnvironment(false)
                .environments(DevelopmentMode.LOCAL)
                .build();
        assertThat(new DevelopmentMode(local.getEnvironment()).allowed()).isTrue();
    }
}
