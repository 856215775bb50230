package dev.hitl.cli.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.cli.CliException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenSourceTest {

    private static final TokenSource OPERATOR = new TokenSource("operator", "HITL_OPERATOR_TOKEN", "dev-token");

    @TempDir
    Path dir;

    @Test
    void shouldPreferTheOptionThenTheFileThenTheFileVariableThenTheVariable() throws Exception {
        final Path optionFile = Files.writeString(dir.resolve("option"), "from-option-file\n");
        final Path variableFile = Files.writeString(dir.resolve("variable"), "  from-variable-file \n");
        final Map<String, String> env =
                Map.of("HITL_OPERATOR_TOKEN_FILE", variableFile.toString(), "HITL_OPERATOR_TOKEN", "from-variable");

        assertThat(OPERATOR.resolve("from-option", optionFile, env))
                .isEqualTo(new TokenSource.Resolved("from-option", "--token"));
        assertThat(OPERATOR.resolve(null, optionFile, env).value()).isEqualTo("from-option-file");
        assertThat(OPERATOR.resolve(null, null, env))
                .isEqualTo(new TokenSource.Resolved(
                        "from-variable-file", "HITL_OPERATOR_TOKEN_FILE (" + variableFile + ")"));
        assertThat(OPERATOR.resolve(null, null, Map.of("HITL_OPERATOR_TOKEN", " from-variable ")))
                .isEqualTo(new TokenSource.Resolved("from-variable", "HITL_OPERATOR_TOKEN"));
    }

    @Test
    void shouldFallBackToTheDevelopmentTokenOnlyWhenNothingIsGiven() {
        final TokenSource.Resolved resolved =
                OPERATOR.resolve(null, null, Map.of("HITL_OPERATOR_TOKEN", " ", "HITL_OPERATOR_TOKEN_FILE", ""));

        assertThat(resolved.value()).isEqualTo("dev-token");
        assertThat(resolved.source()).contains("development operator token");
    }

    @Test
    void shouldRefuseATokenHoldingControlCharactersWhereverItComesFrom() throws Exception {
        // A header-splitting attempt: the token would end the Authorization header.
        final String injected = "abc\r\nX-Operator: admin";

        assertThatThrownBy(() -> OPERATOR.resolve(injected, null, Map.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--token");
        assertThatThrownBy(() -> OPERATOR.resolve(null, null, Map.of("HITL_OPERATOR_TOKEN", injected)))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("HITL_OPERATOR_TOKEN");
        final Path file = Files.writeString(dir.resolve("token"), injected);
        assertThatThrownBy(() -> OPERATOR.resolve(null, file, Map.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("control characters");
    }

    @Test
    void shouldRefuseAnEmptyTokenFileRatherThanSendTheDevelopmentToken() throws Exception {
        final Path empty = Files.writeString(dir.resolve("empty"), "\n");

        assertThatThrownBy(() -> OPERATOR.resolve(null, null, Map.of("HITL_OPERATOR_TOKEN_FILE", empty.toString())))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> OPERATOR.resolve(null, dir.resolve("missing"), Map.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("cannot read the operator token file");
    }
}
