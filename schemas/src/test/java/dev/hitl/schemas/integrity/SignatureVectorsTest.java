package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed test vectors are exactly what the code signs and hashes, and a verifier written
 * in another language (Node's built-in crypto, {@code src/test/node/verify-signatures.mjs})
 * accepts them and refuses the forged ones.
 */
class SignatureVectorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NODE_VERIFIER = Path.of("src/test/node/verify-signatures.mjs");

    @Test
    void shouldMatchWhatTheCodeSignsAndHashes() throws IOException {
        final JsonNode committed = JSON.readTree(Files.readString(SignatureVectors.FILE));
        assertThat(committed)
                .as("the vectors changed: if the spec changed on purpose, run SignatureVectors.main and say so"
                        + " in the schemas README")
                // through text, as the file was written: a long that fits an int reads back as an int
                .isEqualTo(JSON.readTree(SignatureVectors.text()));
    }

    @Test
    void shouldVerifyInNodeAndRefuseTheForgedOnes() throws Exception {
        final Result result = node(SignatureVectors.FILE);
        assertThat(result.exit).as(result.output).isZero();
        assertThat(result.output)
                .contains("ok decision \"auto-approved\"")
                .contains("ok forged \"legacy HmacSHA256\" refused")
                .contains("ok proposal \"full\"")
                .contains("ok agent credential")
                .contains("ok vote \"modify\"")
                .contains("ok forged vote \"group added after signing\" refused: bad signature")
                .contains("ok answer \"should have asked\"")
                .contains("ok forged answer \"a vote's signature copied onto an answer\" refused: bad signature")
                .contains("all vectors verified");
    }

    @Test
    void shouldFailInNodeWhenAVectorIsTamperedWith(@TempDir final Path dir) throws Exception {
        final ObjectNode vectors = (ObjectNode) JSON.readTree(Files.readString(SignatureVectors.FILE));
        ((ObjectNode) vectors.get("decisions").get(1).get("decision")).put("outcome", "APPROVED");
        final Path tampered = dir.resolve("tampered.json");
        Files.writeString(tampered, vectors.toString(), StandardCharsets.UTF_8);
        final Result result = node(tampered);
        assertThat(result.exit).as(result.output).isEqualTo(1);
        assertThat(result.output).contains("FAIL");
    }

    private record Result(int exit, String output) {}

    private static Result node(final Path vectors) throws Exception {
        final Process process = new ProcessBuilder("node", NODE_VERIFIER.toString(), vectors.toString())
                .redirectErrorStream(true)
                .start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
