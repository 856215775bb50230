package dev.hitl.cli.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.hitl.cli.ExitCodes;
import dev.hitl.cli.HitlCli;
import dev.hitl.policy.DefaultPolicy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hitl policy advise} against a stand-in audit API that records each request and answers
 * what the test chose (the advisor itself is tested on the real broker and PostgreSQL in the audit
 * service's {@code AdvisorIT}): the request, the token sent and where it comes from, the text and
 * JSON output, and the exit codes.
 */
class PolicyAdviseTest {

    /** An answer of the advisor as the audit service writes it (two suggestions, one dropped). */
    static final String ANSWER = """
            {"policyName":"default","policyVersion":"2026-12-04.1","policySource":"log",\
            "from":"2026-03-01T00:00:00.000Z","to":"2026-04-01T00:00:00.000Z",\
            "parameters":{"minCount":10,"minApproveRate":0.95,"minRejectRate":0.95,"maxValues":5},\
            "humanDecisions":52,"shapes":4,"suggestions":[\
            {"kind":"AUTO_APPROVE","ruleId":"advisor.approve.acme.ledger.annotate.acme",\
            "actionType":"acme.ledger.annotate","tool":"acme",\
            "yaml":"  - id: \\"advisor.approve.acme.ledger.annotate.acme\\"\\n    match:\\n      actionType: \\"acme.ledger.annotate\\"\\n    riskClass: REVERSIBLE_WRITE\\n",\
            "evidence":{"decisions":12,"approved":12,"modified":0,"rejected":0,"timedOut":0,"approveRate":1.0,\
            "rejectRate":0.0,"votes":12,"medianTimeOnCardMillis":60000,"reviewerTimeMillis":720000,"agents":2,\
            "agentIds":["a","b"],"targets":3,"targetSample":[],"actionIds":[],"firstProposedAt":null,\
            "lastProposedAt":null},\
            "simulation":{"newlyAutoApproved":12,"newlyBlocked":0,"autoApprovedButRejectedByHumans":[],\
            "blockedButApprovedByHumans":[]}}],\
            "dropped":[{"kind":"AUTO_APPROVE","actionType":"acme.ledger.recolor\\n  - id: evil","tool":"acme",\
            "why":"the simulation auto-approves 1 action(s) people rejected or modified",\
            "evidence":{"decisions":21,"approved":20,"modified":0,"rejected":1,"approveRate":0.952,"votes":21,\
            "agents":2,"targets":3},\
            "simulation":{"autoApprovedButRejectedByHumans":[{"actionId":"rc-7","outcome":"REJECTED",\
            "decidedBy":"rita@example.com","reason":"not this one"}]}}]}
            """;

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String answer = ANSWER;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        final String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(
                exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath()
                        + (exchange.getRequestURI().getRawQuery() == null
                                ? ""
                                : "?" + exchange.getRequestURI().getRawQuery())
                        + " " + exchange.getRequestHeaders().getFirst("Content-Type") + " " + body.length());
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        final byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders()
                .add("Content-Type", status == 200 ? "application/json" : "application/problem+json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private record Result(int status, String out, String err) {}

    private Result run(final Map<String, String> env, final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = HitlCli.execute(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                env);
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldAskTheAdvisorWithTheParametersAndPrintEachRuleToPasteWithItsEvidence() throws Exception {
        final Path token = Files.writeString(dir.resolve("token"), "author-token\n");

        final Result run = run(
                Map.of("HITL_AUDIT_URL", url(), "HITL_AUDIT_TOKEN", "not-this-one"),
                "policy",
                "advise",
                "--from",
                "2026-03-01",
                "--to",
                "2026-04-01T00:00:00Z",
                "--min-count",
                "3",
                "--min-approve-rate",
                "0.9",
                "--max-values",
                "7",
                "--token-file",
                token.toString());

        assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(requests)
                .containsExactly("GET /audit/advisor?from=2026-03-01&to=2026-04-01T00%3A00%3A00Z&minCount=3"
                        + "&minApproveRate=0.9&maxValues=7 null 0");
        assertThat(authorizations).containsExactly("Bearer author-token");
        assertThat(run.out())
                .contains("# 1. AUTO_APPROVE acme.ledger.annotate (tool acme)")
                .contains("12 decisions: 12 approved, 0 modified, 0 rejected (100.0 % approved); 12 votes, median"
                        + " 1.0 min from request to vote, 12.0 min of reviewers' time")
                .contains("12 more actions auto-approved; auto-approved but rejected by people: none")
                .contains("  - id: \"advisor.approve.acme.ledger.annotate.acme\"\n    match:\n")
                .contains("would auto-approve rc-7, REJECTED by rita@example.com: not this one");
        // an action type an agent wrote stays on its comment line
        assertThat(run.out()).contains("acme.ledger.recolor\\u000A  - id: evil").doesNotContain("\n  - id: evil");
    }

    @Test
    void shouldTakeTheAuditTokenFromTheEnvironmentElseTheDevelopmentToken() throws Exception {
        final Path token = Files.writeString(dir.resolve("token"), "file-token");

        run(
                Map.of("HITL_AUDIT_URL", url(), "HITL_AUDIT_TOKEN_FILE", token.toString(), "HITL_AUDIT_TOKEN", "env"),
                "policy",
                "advise");
        run(Map.of("HITL_AUDIT_URL", url(), "HITL_AUDIT_TOKEN", "env-token"), "policy", "advise");
        run(Map.of("HITL_AUDIT_URL", url(), "HITL_OPERATOR_TOKEN", "an-operator-token"), "policy", "advise");

        assertThat(authorizations)
                .containsExactly("Bearer file-token", "Bearer env-token", "Bearer hitl-local-audit-token-not-secret");
        assertThat(requests).allMatch(r -> r.startsWith("GET /audit/advisor "));
    }

    @Test
    void shouldPrintTheAnswerAsItIsWithJson() {
        final Result run = run(Map.of("HITL_AUDIT_URL", url()), "policy", "advise", "--json", "--window", "P7D");

        assertThat(run.status()).isEqualTo(ExitCodes.OK);
        assertThat(run.out().strip()).isEqualTo(ANSWER.strip());
        assertThat(requests).containsExactly("GET /audit/advisor?window=PT168H null 0");
    }

    @Test
    void shouldAdviseOnAGivenPolicyAfterValidatingItHere() throws Exception {
        final Path broken = Files.writeString(dir.resolve("broken.yaml"), "name: x\nrules: [{id: x}]\n");
        final Path good = Files.writeString(dir.resolve("good.yaml"), DefaultPolicy.yaml());

        final Result refused = run(Map.of("HITL_AUDIT_URL", url()), "policy", "advise", "--policy", broken.toString());
        assertThat(refused.status()).isEqualTo(ExitCodes.INVALID_POLICY);
        assertThat(refused.err()).contains(broken + ":");
        assertThat(requests).isEmpty();

        final Result run = run(Map.of("HITL_AUDIT_URL", url()), "policy", "advise", "--policy", good.toString());
        assertThat(run.status()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(requests)
                .containsExactly("POST /audit/advisor application/yaml "
                        + DefaultPolicy.yaml().length());
    }

    @Test
    void shouldExitWithTheCodesOfTheOtherCommands() {
        status = 403;
        answer = "{\"type\":\"https://hitl.dev/problems/forbidden\",\"title\":\"Forbidden\",\"status\":403}";
        final Result forbidden =
                run(Map.of("HITL_AUDIT_URL", url(), "HITL_AUDIT_TOKEN", "auditor"), "policy", "advise");
        assertThat(forbidden.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(forbidden.err())
                .contains("refused the audit token (403")
                .contains("The token sent was from HITL_AUDIT_TOKEN")
                .contains("HITL_AUDIT_TOKEN_FILE");

        status = 400;
        answer = "{\"error\":\"minApproveRate must be above 0.5 and at most 1\"}";
        final Result bad = run(Map.of("HITL_AUDIT_URL", url()), "policy", "advise", "--min-approve-rate", "0.4");
        assertThat(bad.status()).isEqualTo(ExitCodes.BROKEN);
        assertThat(bad.err()).contains("minApproveRate must be above 0.5");

        server.stop(0);
        final Result unreachable = run(Map.of("HITL_AUDIT_URL", url()), "policy", "advise");
        assertThat(unreachable.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(unreachable.err()).contains("--audit-url (HITL_AUDIT_URL)");
    }

    @Test
    void shouldExplainItselfWithHelp() {
        final Result help = run(Map.of(), "policy", "advise", "--help");

        assertThat(help.status()).isEqualTo(ExitCodes.OK);
        assertThat(help.out())
                .contains(
                        "--audit-url",
                        "--token-file",
                        "--policy",
                        "--window",
                        "--min-count",
                        "--min-approve-rate",
                        "--min-reject-rate",
                        "--max-values",
                        "--json",
                        "policy-author",
                        "nothing is published");
    }
}
