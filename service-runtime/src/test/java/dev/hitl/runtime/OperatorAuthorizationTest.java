package dev.hitl.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OperatorAuthorizationTest {

    private final OperatorAuthorization operators = new OperatorAuthorization("s3cret-token");

    @Test
    void shouldAcceptTheOperatorsBearerToken() {
        assertThat(operators.refusal("Bearer s3cret-token")).isEmpty();
        assertThat(operators.refusal("bearer s3cret-token")).isEmpty();
    }

    @Test
    void shouldRefuseAMissingOrWrongToken() {
        assertThat(operators.refusal("")).get().asString().contains("needs the operators' token");
        assertThat(operators.refusal(null)).isPresent();
        assertThat(operators.refusal("Basic czNjcmV0LXRva2Vu")).isPresent();
        assertThat(operators.refusal("Bearer s3cret-token-but-longer"))
                .get()
                .asString()
                .contains("not valid");
        assertThat(operators.refusal("Bearer s3cret")).isPresent();
    }

    @Test
    void shouldRefuseAnEmptyToken() {
        assertThatThrownBy(() -> new OperatorAuthorization(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
