package dev.hitl.audit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's arguments: decision keys that cannot be read stop it before it reads the log. */
class VerifyCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        return VerifyCommand.run(
                args,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseAMissingDecisionKeysFile() {
        final int status = run(
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--registry-url",
                "http://127.0.0.1:1",
                "--decision-keys",
                dir.resolve("missing.json").toString());

        assertThat(status).isEqualTo(VerifyCommand.ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot read decision keys");
    }

    @Test
    void shouldRefuseADecisionKeysFileThatHoldsNoEd25519Key() throws Exception {
        final Path file =
                Files.writeString(dir.resolve("keys.json"), "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");

        final int status = run(
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--registry-url",
                "http://127.0.0.1:1",
                "--decision-keys",
                file.toString());

        assertThat(status).isEqualTo(VerifyCommand.ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("Ed25519");
    }

    @Test
    void shouldNameTheOptionInItsUsage() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int status = VerifyCommand.run(
                new String[] {"--help"},
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(status).isEqualTo(VerifyCommand.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--decision-keys JWKS-FILE");
    }
}
