package dev.hitl.escalation.voters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.runtime.Problem;
import dev.hitl.schemas.integrity.DecisionKeys;
import org.junit.jupiter.api.Test;

/** What an operator may register as a voter, and each mistake named by its field. */
class VoterRequestTest {

    private final DecisionKeys.PrivateKey key = DecisionKeys.generate("app-1");
    private final String jwk = DecisionKeys.PublicKeys.of(key.publicKey()).toJwks();

    @Test
    void shouldTakeAJwksAndTheAllowance() {
        final VoterRequest.Parsed<VoterRequest.Registration> parsed =
                VoterRequest.registration("{\"voterId\":\"app\",\"publicKeys\":" + jwk
                        + ",\"allowedGroups\":[\"finance\",\"ops-*\"]," + "\"allowedReviewers\":[\"*\"]}");
        assertThat(parsed.errors()).isEmpty();
        assertThat(parsed.value().publicKeys()).singleElement().satisfies(k -> {
            assertThat(k.getKeyId()).isEqualTo("app-1");
            assertThat(k.getAlgorithm()).isEqualTo("Ed25519");
        });
        assertThat(parsed.value().allowedGroups()).containsExactly("finance", "ops-*");
    }

    @Test
    void shouldNameEveryFieldAtFault() {
        final VoterRequest.Parsed<VoterRequest.Registration> parsed = VoterRequest.registration(
                "{\"voterId\":\"a b\",\"publicKeys\":[{\"kty\":\"RSA\"}],\"allowedGroups\":[],"
                        + "\"allowedReviewers\":[\"ok\",\"\\u0007\"]}");
        assertThat(parsed.value()).isNull();
        assertThat(parsed.errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("voterId", "publicKeys[0]", "allowedGroups", "allowedReviewers[1]");
    }

    @Test
    void shouldRefuseAPrivateKeyAndARepeatedKeyId() {
        assertThat(VoterRequest.key(key.toJwk()).errors())
                .singleElement()
                .satisfies(e -> assertThat(e.message()).contains("private key"));
        final String twice =
                "{\"keys\":[" + jwk.substring(9, jwk.length() - 2) + "," + jwk.substring(9, jwk.length() - 2) + "]}";
        assertThat(VoterRequest.registration("{\"voterId\":\"app\",\"publicKeys\":" + twice
                                + ",\"allowedGroups\":[\"*\"],\"allowedReviewers\":[\"*\"]}")
                        .errors())
                .extracting(Problem.FieldError::message)
                .containsExactly("repeats the key id app-1");
    }

    @Test
    void shouldRequireTheAllowanceExplicitly() {
        assertThat(VoterRequest.registration("{\"voterId\":\"app\",\"publicKeys\":" + jwk + "}")
                        .errors())
                .extracting(Problem.FieldError::field)
                .containsExactly("allowedGroups", "allowedReviewers");
    }
}
