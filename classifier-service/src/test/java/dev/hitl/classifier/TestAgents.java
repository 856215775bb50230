package dev.hitl.classifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.ProposalHash;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.client.HttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Registers agents through the classifier's operator API and authenticates their records, as the SDK does. */
final class TestAgents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestAgents() {}

    /**
     * @param http a client of the classifier
     * @param agentId the agent to register, permitted any action type and tool
     * @return its first credential, as the API issued it
     */
    static AgentCredentials.Credential register(final HttpClient http, final String agentId) {
        return register(http, agentId, List.of("*"), List.of("*"));
    }

    static AgentCredentials.Credential register(
            final HttpClient http, final String agentId, final List<String> actionTypes, final List<String> tools) {
        final String response = http.toBlocking()
                .retrieve(HttpRequest.POST(
                                "/agents",
                                Map.of(
                                        "agentId",
                                        agentId,
                                        "owners",
                                        List.of("owner@example.com"),
                                        "permittedActionTypes",
                                        actionTypes,
                                        "permittedTools",
                                        tools))
                        .bearerAuth(OperatorAuthorization.DEVELOPMENT_TOKEN));
        return credential(agentId, response);
    }

    /**
     * @param agentId the agent
     * @param response a response of {@code POST /agents} or {@code POST /agents/{id}/credentials}
     * @return the credential it issued
     */
    static AgentCredentials.Credential credential(final String agentId, final String response) {
        try {
            final JsonNode json = JSON.readTree(response);
            return AgentCredentials.Credential.of(
                    agentId,
                    json.get("credential").get("credentialId").asText(),
                    json.get("credential").get("key").asText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A proposal record authenticated with a credential (its agent's, or a delegate's). */
    static ProducerRecord<String, ProposedAction> proposal(
            final String topic, final ProposedAction action, final AgentCredentials.Credential credential) {
        final ProducerRecord<String, ProposedAction> record = new ProducerRecord<>(topic, action.getActionId(), action);
        record.headers()
                .add(
                        AgentCredentials.HEADER,
                        AgentCredentials.header(
                                        credential,
                                        AgentCredentials.proposalContent(
                                                action, ProposalHash.of(action), credential.credentialId()))
                                .getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** A withdrawal (tombstone) naming {@code agentId}, authenticated with a credential. */
    static ProducerRecord<String, ProposedAction> withdrawal(
            final String topic,
            final String actionId,
            final String agentId,
            final AgentCredentials.Credential credential) {
        final ProducerRecord<String, ProposedAction> record = new ProducerRecord<>(topic, actionId, null);
        record.headers().add("hitl.withdrawn.by", agentId.getBytes(StandardCharsets.UTF_8));
        record.headers()
                .add(
                        AgentCredentials.HEADER,
                        AgentCredentials.header(
                                        credential,
                                        AgentCredentials.withdrawalContent(
                                                actionId, agentId, credential.credentialId()))
                                .getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
