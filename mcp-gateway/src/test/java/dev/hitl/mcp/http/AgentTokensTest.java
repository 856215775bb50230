package dev.hitl.mcp.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.mcp.config.GatewayConfig;
import dev.hitl.schemas.InputTrust;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentTokensTest {

    private static final String ALICE_TOKEN = "alice-token-0123456789abcdef";
    private static final String BOB_TOKEN = "bob-token-0123456789abcdef";

    private final AgentTokens tokens =
            new AgentTokens(List.of(served("alice-agent", ALICE_TOKEN), served("bob-agent", BOB_TOKEN)));

    static GatewayConfig.ServedAgent served(final String agentId, final String token) {
        return new GatewayConfig.ServedAgent(
                new GatewayConfig.Agent(agentId, "", "", InputTrust.UNKNOWN), AgentTokens.sha256(token));
    }

    @Test
    void shouldMapEachTokenToItsOwnAgent() {
        assertThat(tokens.authenticate("Bearer " + ALICE_TOKEN).orElseThrow().id())
                .isEqualTo("alice-agent");
        assertThat(tokens.authenticate("bearer " + BOB_TOKEN).orElseThrow().id())
                .isEqualTo("bob-agent");
    }

    @Test
    void shouldRefuseNoTokenAnEmptyOneAnotherSchemeAndAWrongOne() {
        assertThat(tokens.authenticate(null)).isEmpty();
        assertThat(tokens.authenticate("")).isEmpty();
        assertThat(tokens.authenticate("Bearer ")).isEmpty();
        assertThat(tokens.authenticate("Bearer    ")).isEmpty();
        assertThat(tokens.authenticate("Basic " + ALICE_TOKEN)).isEmpty();
        assertThat(tokens.authenticate(ALICE_TOKEN)).isEmpty();
        assertThat(tokens.authenticate("Bearer " + ALICE_TOKEN + "x")).isEmpty();
        assertThat(tokens.authenticate("Bearer " + ALICE_TOKEN.substring(1))).isEmpty();
        assertThat(tokens.authenticate("Bearer " + ALICE_TOKEN.toUpperCase())).isEmpty();
        assertThat(tokens.authenticate("Bearer " + "a".repeat(100_000))).isEmpty();
    }

    @Test
    void shouldRefuseTheConfiguredHashPresentedAsTheToken() {
        // Whoever reads the configuration learns only hashes: a hash is not a token.
        final String hash = HexFormat.of().formatHex(AgentTokens.sha256(ALICE_TOKEN));
        assertThat(tokens.authenticate("Bearer " + hash)).isEmpty();
    }

    @Test
    void shouldNeverShowTheHashInTheConfigurationsText() {
        final String hash = HexFormat.of().formatHex(AgentTokens.sha256(ALICE_TOKEN));
        assertThat(served("alice-agent", ALICE_TOKEN).toString())
                .doesNotContain(hash)
                .doesNotContain(ALICE_TOKEN);
    }
}
