package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.SampleRecords;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecisionKeyToolTest {

    @Test
    void shouldWriteAPrivateKeyForOneDeciderAndGrowThePublicSetForRotation(@TempDir final Path dir) throws Exception {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(DecisionKeyTool.run(
                        new String[] {"generate", "classifier-1", dir.toString()},
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err)))
                .isZero();
        assertThat(DecisionKeyTool.run(
                        new String[] {"generate", "classifier-2", dir.toString()},
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err)))
                .isZero();
        assertThat(Files.getPosixFilePermissions(dir.resolve("classifier-1.jwk")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        final DecisionKeys.PublicKeys keys = DecisionKeys.readPublicKeys(dir.resolve("decisions.jwks.json"));
        assertThat(keys.byId()).containsOnlyKeys("classifier-1", "classifier-2");
        assertThat(Files.readString(dir.resolve("decisions.jwks.json"))).doesNotContain("\"d\"");
        final DecisionVerifier verifier = new DecisionVerifier(keys);
        for (final String kid : new String[] {"classifier-1", "classifier-2"}) {
            final DecisionSigner signer = new DecisionSigner(DecisionKeys.readPrivateJwk(dir.resolve(kid + ".jwk")));
            assertThat(verifier.verify(signer.sign(SampleRecords.decision("a-1"))))
                    .isEqualTo(DecisionVerifier.Result.VALID);
        }
        // The same id twice would leave a verifier with two keys under one id.
        assertThat(DecisionKeyTool.run(
                        new String[] {"generate", "classifier-1", dir.toString()},
                        new PrintStream(new ByteArrayOutputStream()),
                        new PrintStream(err)))
                .isEqualTo(1);
        assertThat(DecisionKeyTool.run(
                        new String[] {"generate"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)))
                .isEqualTo(2);
    }
}
