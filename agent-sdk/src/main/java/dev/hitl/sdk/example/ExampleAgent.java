package dev.hitl.sdk.example;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import dev.hitl.sdk.TrustedDecisionKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A runnable example of an agent on the SDK: it asks hitl before sending an email and acts on the
 * answer. Run it against the local stack ({@code bin/hitl-local}), then approve, modify or reject
 * the email in the reviewer UI:
 *
 * <pre>
 * java -cp "agent-sdk/target/classes:$(cat agent-sdk/target/classpath.txt)" dev.hitl.sdk.example.ExampleAgent
 * </pre>
 *
 * Settings come from the environment: {@code KAFKA_BOOTSTRAP_SERVERS} (127.0.0.1:9092), {@code
 * SCHEMA_REGISTRY_URL} (http://127.0.0.1:8081/apis/ccompat/v7), and the deciders' public keys:
 * {@code HITL_DECISION_PUBLIC_KEYS_FILE} (a JWKS file) or {@code HITL_DECISION_PUBLIC_KEYS} (the
 * JWKS as text); without either, the public development key the local stack signs with. The agent's
 * credential is required: {@code HITL_AGENT_CREDENTIAL_ID} and {@code HITL_AGENT_KEY} (the key,
 * base64url, as the operators issued it for the agent {@code HITL_AGENT_ID}, default {@code
 * example-agent}); the local stack registers the agent and writes its credential.
 */
public final class ExampleAgent {

    private ExampleAgent() {}

    /**
     * @param args none
     * @throws Exception when hitl cannot be reached
     */
    public static void main(final String[] args) throws Exception {
        final String keysFile = env("HITL_DECISION_PUBLIC_KEYS_FILE", "");
        final String keys = env("HITL_DECISION_PUBLIC_KEYS", "");
        final String credentialId = env("HITL_AGENT_CREDENTIAL_ID", "");
        final String key = env("HITL_AGENT_KEY", "");
        if (credentialId.isEmpty() || key.isEmpty()) {
            System.err.println("Set HITL_AGENT_CREDENTIAL_ID and HITL_AGENT_KEY to the agent's credential:"
                    + " hitl refuses proposals it cannot authenticate.");
            System.exit(2);
            return;
        }
        try (HitlClient hitl = HitlClient.builder()
                .agentId(env("HITL_AGENT_ID", "example-agent"))
                .credential(credentialId, key)
                .kafka(Map.of("bootstrap.servers", env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")))
                .schemaRegistryUrl(env("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"))
                .decisionKeys(
                        !keysFile.isEmpty()
                                ? TrustedDecisionKeys.read(Path.of(keysFile))
                                : !keys.isEmpty() ? TrustedDecisionKeys.parse(keys) : DevelopmentKeys.publicKeys())
                .build()) {
            final ProposedAction email = Proposals.action(
                            "email.send",
                            "smtp",
                            "{\"to\":\"ann@customer.org\",\"subject\":\"Your order\",\"body\":\"It ships today.\"}")
                    .onBehalfOf("alice@example.com")
                    .confidence(0.9)
                    .inputTrust(InputTrust.USER)
                    .userRequest("Tell Ann her order ships today")
                    .rationale("Ann asked this morning; the warehouse confirmed the shipment")
                    .replyBy(Instant.now().plus(Duration.ofMinutes(15)))
                    .build();
            System.out.println("Asking hitl before sending " + email.getActionId() + " ...");
            final AgentDecision decision = hitl.proposeAndWait(email, Duration.ofMinutes(15));
            if (decision.stillValidAt(Instant.now())) {
                System.out.println("Sending with " + decision.argumentsToRun().orElseThrow());
            } else {
                System.out.println("Not sending. " + decision.instructions());
            }
        }
    }

    private static String env(final String name, final String fallback) {
        final String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
