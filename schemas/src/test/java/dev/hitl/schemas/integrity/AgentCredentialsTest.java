package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class AgentCredentialsTest {

    private static final byte[] MASTER =
            "the operators' master secret, 32+ bytes long".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldDeriveKeysAsRfc5869Says() {
        // RFC 5869, appendix A.1 (test case 1): a known answer, not computed by this code.
        final HexFormat hex = HexFormat.of();
        final byte[] okm = AgentCredentials.hkdf(
                hex.parseHex("000102030405060708090a0b0c"),
                hex.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                hex.parseHex("f0f1f2f3f4f5f6f7f8f9"),
                42);
        assertThat(hex.formatHex(okm))
                .isEqualTo("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void shouldGiveEachAgentAndCredentialItsOwnKey() {
        final AgentCredentials.Credential a1 = AgentCredentials.derive(MASTER, "agent-a", "c1");
        assertThat(a1).isEqualTo(AgentCredentials.derive(MASTER, "agent-a", "c1"));
        assertThat(a1.encodedKey())
                .isNotEqualTo(AgentCredentials.derive(MASTER, "agent-b", "c1").encodedKey())
                .isNotEqualTo(AgentCredentials.derive(MASTER, "agent-a", "c2").encodedKey());
        assertThat(a1.toString()).doesNotContain(a1.encodedKey());
        assertThat(AgentCredentials.Credential.of("agent-a", "c1", a1.encodedKey()))
                .isEqualTo(a1);
        assertThatThrownBy(() -> AgentCredentials.derive(new byte[16], "a", "c1"))
                .hasMessageContaining("32 bytes");
    }

    @Test
    void shouldAuthenticateExactlyTheProposalItWasMadeFor() {
        final AgentCredentials.Credential credential = AgentCredentials.derive(MASTER, "billing-agent-7", "c1");
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        final String content = AgentCredentials.proposalContent(action, ProposalHash.of(action), "c1");
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(credential, content).getBytes(StandardCharsets.UTF_8));
        final AgentCredentials.Presented presented =
                AgentCredentials.presented(headers).orElseThrow();
        assertThat(presented.credentialId()).isEqualTo("c1");
        assertThat(presented.verifies(credential, content)).isTrue();
        // Another agent's key, another proposal, another send time: refused.
        assertThat(presented.verifies(AgentCredentials.derive(MASTER, "other-agent", "c1"), content))
                .isFalse();
        final ProposedAction changed =
                ProposedAction.newBuilder(action).setTool("shell").build();
        assertThat(presented.verifies(
                        credential, AgentCredentials.proposalContent(changed, ProposalHash.of(changed), "c1")))
                .isFalse();
        final ProposedAction later = ProposedAction.newBuilder(action)
                .setProposedAt(action.getProposedAt().plusSeconds(1))
                .build();
        assertThat(presented.verifies(
                        credential, AgentCredentials.proposalContent(later, ProposalHash.of(later), "c1")))
                .isFalse();
        assertThat(presented.verifies(credential, AgentCredentials.withdrawalContent("a-1", "billing-agent-7", "c1")))
                .isFalse();
    }

    @Test
    void shouldReadNoAuthenticationFromMissingOrMalformedHeaders() {
        assertThat(AgentCredentials.presented(new RecordHeaders())).isEmpty();
        for (final String bad : new String[] {"", "v1", "v2.c1.AAAA", "v1.c1.%%%", "v1.c1.AAAA"}) {
            final RecordHeaders headers = new RecordHeaders();
            headers.add(AgentCredentials.HEADER, bad.getBytes(StandardCharsets.UTF_8));
            assertThat(AgentCredentials.presented(headers)).as(bad).isEmpty();
        }
    }
}
