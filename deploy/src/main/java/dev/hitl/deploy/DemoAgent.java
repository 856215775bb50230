package dev.hitl.deploy;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.AgentDecision;
import dev.hitl.sdk.HitlClient;
import dev.hitl.sdk.Proposals;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Three demo agents on the SDK proposing a realistic stream of actions: searches, drafts, emails to
 * customers, a batch of 50 personalized emails, SQL reads and a {@code DROP TABLE}, a payment over
 * the cost threshold, and a file deletion prompted by retrieved text. It prints, as it happens,
 * which actions ran, which wait for a human, and what the human decided.
 */
public final class DemoAgent implements AutoCloseable {

    private final Map<String, HitlClient> clients = new LinkedHashMap<>();
    private final PrintStream out;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread thread = new Thread(r, "demo-agent");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param bootstrapServers the broker
     * @param registryUrl the registry's Confluent API
     * @param decisionKeys the deciders' public keys (a JWKS file)
     * @param agents the registered agents' credentials
     * @param out where the story is told
     */
    public DemoAgent(
            final String bootstrapServers,
            final String registryUrl,
            final java.nio.file.Path decisionKeys,
            final LocalAgents agents,
            final PrintStream out) {
        this.out = out;
        for (final String agent : List.of("support-agent-1", "billing-agent-7", "devops-agent-2")) {
            clients.put(
                    agent,
                    HitlClient.builder()
                            .agentId(agent)
                            .kafka(Map.of("bootstrap.servers", bootstrapServers))
                            .schemaRegistryUrl(registryUrl)
                            .decisionKeysFile(decisionKeys)
                            .credential(agents.credential(agent))
                            .lookback(Duration.ofMinutes(5))
                            .build());
        }
    }

    /** @return the scenario, one proposal per action, each with its agent */
    public static List<Map.Entry<String, ProposedAction>> scenario() {
        final List<Map.Entry<String, ProposedAction>> actions = new ArrayList<>();
        final String run = Long.toString(Instant.now().getEpochSecond(), 36);
        actions.add(Map.entry(
                "support-agent-1",
                Proposals.action("search.web", "web", "{\"q\":\"refund policy\"}")
                        .actionId("demo-" + run + "-search")
                        .onBehalfOf("alice@example.com")
                        .confidence(0.95)
                        .inputTrust(InputTrust.USER)
                        .userRequest("What is our refund policy?")
                        .build()));
        actions.add(Map.entry(
                "support-agent-1",
                Proposals.action("email.draft", "gmail", "{\"to\":\"ann@customer.org\",\"body\":\"Dear Ann, ...\"}")
                        .actionId("demo-" + run + "-draft")
                        .onBehalfOf("alice@example.com")
                        .confidence(0.9)
                        .inputTrust(InputTrust.USER)
                        .userRequest("Draft a reply to Ann")
                        .build()));
        actions.add(Map.entry(
                "support-agent-1",
                Proposals.action(
                                "email.send",
                                "gmail",
                                "{\"to\":\"ann@customer.org\",\"subject\":\"Your refund\",\"body\":\"Dear Ann, your refund of"
                                        + " 40 EUR is on its way.\"}")
                        .actionId("demo-" + run + "-email")
                        .onBehalfOf("alice@example.com")
                        .confidence(0.85)
                        .inputTrust(InputTrust.USER)
                        .domain("support")
                        .userRequest("Tell Ann her refund is on its way")
                        .rationale("Ann asked twice; the refund was approved yesterday")
                        .alternatives("wait for Ann to ask again")
                        .expectedOutcome("Ann knows her refund is coming")
                        .risks("the refund may not have been sent yet")
                        .build()));
        for (int i = 1; i <= 50; i++) {
            actions.add(Map.entry(
                    "support-agent-1",
                    Proposals.action(
                                    "email.send",
                                    "gmail",
                                    "{\"to\":\"customer" + i
                                            + "@example.net\",\"subject\":\"New opening hours\",\"body\":\"Dear"
                                            + " customer " + i + ", from Monday we open at 8.\"}")
                            .actionId("demo-" + run + "-batch-" + i)
                            .onBehalfOf("alice@example.com")
                            .confidence(0.9)
                            .inputTrust(InputTrust.USER)
                            .domain("support")
                            .batch("demo-" + run + "-hours", 50)
                            .userRequest("Tell every customer about the new opening hours")
                            .build()));
        }
        actions.add(Map.entry(
                "billing-agent-7",
                Proposals.action(
                                "db.query",
                                "postgres",
                                "{\"sql\":\"SELECT id, total FROM invoices WHERE status = 'overdue'\"}")
                        .actionId("demo-" + run + "-select")
                        .onBehalfOf("bob@example.com")
                        .confidence(0.9)
                        .inputTrust(InputTrust.USER)
                        .domain("billing")
                        .userRequest("Which invoices are overdue?")
                        .build()));
        actions.add(Map.entry(
                "billing-agent-7",
                Proposals.action("db.query", "postgres", "{\"sql\":\"DROP TABLE invoices\"}")
                        .actionId("demo-" + run + "-drop")
                        .onBehalfOf("bob@example.com")
                        .confidence(0.6)
                        .inputTrust(InputTrust.TOOL_OUTPUT)
                        .domain("billing")
                        .userRequest("Clean up old invoices")
                        .build()));
        actions.add(Map.entry(
                "billing-agent-7",
                Proposals.action(
                                "payment.create",
                                "stripe",
                                "{\"amount\":\"2500.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}")
                        .actionId("demo-" + run + "-payment")
                        .onBehalfOf("bob@example.com")
                        .confidence(0.8)
                        .estimatedCost(new BigDecimal("2500"), "EUR")
                        .systemsAffected("stripe", "ledger")
                        .inputTrust(InputTrust.USER)
                        .domain("billing")
                        .userRequest("Pay the ACME invoice")
                        .rationale("Invoice INV-77 is 30 days overdue")
                        .build()));
        actions.add(Map.entry(
                "devops-agent-2",
                Proposals.action("file.delete", "fs", "{\"path\":\"reports/2023/q4-export.csv\"}")
                        .actionId("demo-" + run + "-delete")
                        .onBehalfOf("carol@example.com")
                        .confidence(0.7)
                        .inputTrust(InputTrust.RETRIEVED)
                        .domain("infrastructure")
                        .userRequest("Tidy up the reports folder")
                        .rationale("A wiki page says old exports must be deleted")
                        .build()));
        return actions;
    }

    /**
     * Proposes the scenario and reports each decision as it arrives.
     *
     * @return each action's id and its future decision, in scenario order
     */
    public Map<String, CompletableFuture<AgentDecision>> run() {
        final Map<String, CompletableFuture<AgentDecision>> all = new LinkedHashMap<>();
        int batch = 0;
        for (final Map.Entry<String, ProposedAction> entry : scenario()) {
            final ProposedAction action = entry.getValue();
            final CompletableFuture<AgentDecision> answer =
                    clients.get(entry.getKey()).propose(action);
            all.put(action.getActionId(), answer);
            if (action.getBatchId() != null && batch++ > 0) {
                continue; // tell the story of the batch once
            }
            final String what = entry.getKey() + " proposes " + action.getActionType() + " "
                    + (action.getBatchId() != null ? "(a batch of " + action.getBatchSize() + ") " : "")
                    + abbreviate(action.getArguments());
            out.println("  -> " + what);
            timer.schedule(
                    () -> {
                        if (!answer.isDone()) {
                            out.println("  .. waiting for a human: " + action.getActionType() + " by " + entry.getKey()
                                    + " (" + action.getActionId() + ")");
                        }
                    },
                    4,
                    TimeUnit.SECONDS);
            answer.thenAccept(decision -> out.println("  <- " + action.getActionType() + " by " + entry.getKey() + ": "
                    + decision.outcome() + (decision.mayRun() ? " -> runs" : " -> does not run") + ". "
                    + decision.instructions()));
        }
        return all;
    }

    private static String abbreviate(final String text) {
        return text.length() <= 70 ? text : text.substring(0, 67) + "...";
    }

    @Override
    public void close() {
        timer.shutdownNow();
        clients.values().forEach(HitlClient::close);
    }
}
