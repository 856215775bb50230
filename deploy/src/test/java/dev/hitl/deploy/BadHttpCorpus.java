package dev.hitl.deploy;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bad-input corpus of {@link BadInputIT} for the services' HTTP endpoints: malformed and deeply
 * nested JSON, bodies of a few MB, invalid UTF-8, wrong content types, unknown enum symbols,
 * negative, NaN and huge numbers, over-long strings and script tags. Each case is named {@code
 * <service> <method> <path> <case>}.
 */
final class BadHttpCorpus {

    /** The local stack's operators' token (service-runtime's OperatorAuthorization development token). */
    static final String OPERATOR = "Bearer hitl-local-operator-token-not-secret";

    /** The local stack's audit API token (the audit service's development token: every role). */
    static final String AUDIT_TOKEN = "hitl-local-audit-token-not-secret";

    /** The Authorization header with {@link #AUDIT_TOKEN}. */
    static final String AUDITOR = "Bearer " + AUDIT_TOKEN;

    /** What the answer must be. */
    enum Expect {
        /** A 4xx with a message, no stack trace. */
        CLIENT_ERROR,
        /** Anything but a 5xx (the input is odd but acceptable, e.g. a filter that matches nothing). */
        NO_SERVER_ERROR
    }

    /**
     * @param name what the case is
     * @param method GET or POST
     * @param url the full URL
     * @param headers request headers (content type, authorization, cookies)
     * @param body the body bytes, or null
     * @param expect what the answer must be
     */
    record Case(String name, String method, String url, Map<String, String> headers, byte[] body, Expect expect) {

        @Override
        public String toString() {
            return name + " [" + method + " " + clip(url) + ", " + (body == null ? 0 : body.length) + " bytes]";
        }
    }

    /**
     * @param c the case
     * @param status the answer's status
     * @param contentType its content type
     * @param body its body
     */
    record Answer(Case c, int status, String contentType, String body) {

        /** @return what is wrong with the answer, or null */
        String problem() {
            if (status >= 500) {
                return c + " -> " + status + " (server error): " + clip(body);
            }
            if (STACK_FRAME.matcher(body).find() || body.contains("Caused by:")) {
                return c + " -> " + status + " with a stack trace in the body: " + clip(body);
            }
            if (c.expect() == Expect.CLIENT_ERROR && (status < 400 || status >= 500)) {
                return c + " -> " + status + ", expected a 4xx: " + clip(body);
            }
            if (c.expect() == Expect.CLIENT_ERROR && body.isBlank()) {
                return c + " -> " + status + " with an empty body: no message says what is wrong";
            }
            return null;
        }
    }

    /** A Java stack frame: "at some.package.Class.method(". */
    private static final Pattern STACK_FRAME = Pattern.compile("\\bat [a-z][\\w$]*(\\.[\\w$]+){2,}\\(");

    /** Bodies of a few MB: over any sane field limit, under Micronaut's 10 MB request limit. */
    static final int FEW_MB = 3 * 1024 * 1024;

    static final String SCRIPT = "<script>alert(1)</script>";
    static final byte[] INVALID_UTF8 = {
        (byte) 0xC3, 0x28, (byte) 0xA0, (byte) 0xA1, (byte) 0xFF, (byte) 0xFE, (byte) 0xC0, (byte) 0x80, (byte) 0xED
    };

    private final List<Case> cases = new ArrayList<>();

    private BadHttpCorpus() {}

    /** @return the answer to each case */
    static List<Answer> send(final HttpClient http, final List<Case> cases) throws InterruptedException {
        final List<Answer> answers = new ArrayList<>();
        for (final Case c : cases) {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(c.url()))
                    .timeout(Duration.ofSeconds(60))
                    .method(
                            c.method(),
                            c.body() == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(c.body()));
            c.headers().forEach(request::header);
            try {
                final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                answers.add(new Answer(
                        c,
                        response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(""),
                        response.body()));
            } catch (IOException e) {
                answers.add(new Answer(c, 599, "", "no answer: " + e));
            }
        }
        return answers;
    }

    /**
     * @param url the approval service
     * @param token a reviewer's bearer token
     * @param openActionId an action waiting for that reviewer's vote
     * @return the cases of the JSON API and the sign-in
     */
    static List<Case> approvalApi(final String url, final String token, final String openActionId) {
        final BadHttpCorpus c = new BadHttpCorpus();
        final Map<String, String> json = Map.of("Content-Type", "application/json");
        final Map<String, String> auth = Map.of("Content-Type", "application/json", "Authorization", "Bearer " + token);
        // POST /login
        c.json("login malformed JSON", url + "/login", json, "{\"username\":\"reviewer\",");
        c.json("login nested 10000 levels", url + "/login", json, "{\"username\":" + nested(10_000) + "}");
        c.json(
                "login few-MB username",
                url + "/login",
                json,
                "{\"username\":\"" + "u".repeat(FEW_MB) + "\",\"password\":\"x\"}");
        c.bytes("login invalid UTF-8", url + "/login", json, utf8Broken("{\"username\":\"", "\",\"password\":\"x\"}"));
        c.json("login wrong content type", url + "/login", Map.of("Content-Type", "text/plain"), "reviewer:reviewer");
        c.json(
                "login script tags",
                url + "/login",
                json,
                "{\"username\":\"" + SCRIPT + "\",\"password\":\"" + SCRIPT + "\"}");
        // GET /api/requests with odd filters: nothing matches, nothing breaks.
        c.get(
                "inbox script filter",
                url + "/api/requests?riskClass=" + enc(SCRIPT) + "&agentId=" + enc(SCRIPT),
                auth,
                Expect.NO_SERVER_ERROR);
        c.get(
                "inbox over-long filter",
                url + "/api/requests?agentId=" + "a".repeat(3000),
                auth,
                Expect.NO_SERVER_ERROR);
        // paging: negative, huge, NaN limits and cursors that are not ours
        for (final String limit : List.of("-1", "0", "1001", "99999999999", "NaN", enc(SCRIPT))) {
            c.get("inbox limit " + limit, url + "/api/requests?limit=" + limit, auth, Expect.CLIENT_ERROR);
        }
        for (final String cursor : List.of(enc(SCRIPT), "%00", "x".repeat(5000), "MjAyNi0xMS0yOFQxMjowMDowMFo")) {
            c.get("inbox cursor " + clip(cursor), url + "/api/requests?after=" + cursor, auth, Expect.CLIENT_ERROR);
        }
        c.get("request script id", url + "/api/requests/" + enc(SCRIPT), auth, Expect.CLIENT_ERROR);
        // POST /api/requests/{id}/votes on an open request: none of these may count.
        final String votes = url + "/api/requests/" + openActionId + "/votes";
        c.json("vote malformed JSON", votes, auth, "{\"verdict\":");
        c.json("vote nested 10000 levels", votes, auth, "{\"verdict\":\"APPROVE\",\"reason\":" + nested(10_000) + "}");
        c.json("vote unknown verdict MAYBE", votes, auth, "{\"verdict\":\"MAYBE\"}");
        c.json("vote verdict number", votes, auth, "{\"verdict\":-1}");
        c.json("vote requestVersion NaN", votes, auth, "{\"verdict\":\"APPROVE\",\"requestVersion\":NaN}");
        c.json("vote requestVersion -1", votes, auth, "{\"verdict\":\"APPROVE\",\"requestVersion\":-1}");
        c.json("vote requestVersion 1e400", votes, auth, "{\"verdict\":\"APPROVE\",\"requestVersion\":1e400}");
        c.json("vote stageIndex -5", votes, auth, "{\"verdict\":\"APPROVE\",\"stageIndex\":-5}");
        c.json(
                "vote timeOnCardMillis string",
                votes,
                auth,
                "{\"verdict\":\"APPROVE\",\"timeOnCardMillis\":\"" + SCRIPT + "\"}");
        c.json("vote few-MB reason", votes, auth, "{\"verdict\":\"REJECT\",\"reason\":\"" + "r".repeat(FEW_MB) + "\"}");
        c.json(
                "vote few-MB modifiedArguments",
                votes,
                auth,
                "{\"verdict\":\"MODIFY\",\"reason\":\"too big\",\"modifiedArguments\":\"{\\\"a\\\":\\\""
                        + "m".repeat(FEW_MB) + "\\\"}\"}");
        c.json(
                "vote modifiedArguments nested 10000 levels",
                votes,
                auth,
                "{\"verdict\":\"MODIFY\",\"reason\":\"deep\",\"modifiedArguments\":\"{\\\"a\\\":" + nested(10_000)
                        + "}\"}");
        c.bytes(
                "vote invalid UTF-8",
                votes,
                auth,
                utf8Broken("{\"verdict\":\"REJECT\",\"reason\":\"", "\",\"requestVersion\":-1}"));
        c.json(
                "vote wrong content type",
                votes,
                Map.of("Content-Type", "text/plain", "Authorization", "Bearer " + token),
                "APPROVE");
        c.json("vote JSON null", votes, auth, "null");
        c.json("vote JSON array", votes, auth, "[]");
        c.json(
                "vote over-long action id",
                url + "/api/requests/" + "a".repeat(3000) + "/votes",
                auth,
                "{\"verdict\":\"APPROVE\"}");
        c.json("vote without token", votes, json, "{\"verdict\":\"APPROVE\"}");
        c.json(
                "vote garbage token",
                votes,
                Map.of("Content-Type", "application/json", "Authorization", "Bearer " + SCRIPT),
                "{\"verdict\":\"APPROVE\"}");
        // POST /api/votes/batch
        final String batch = url + "/api/votes/batch";
        c.json("batch malformed JSON", batch, auth, "{\"actionIds\":[");
        c.json(
                "batch unknown verdict MAYBE",
                batch,
                auth,
                "{\"actionIds\":[\"" + openActionId + "\"],\"verdict\":\"MAYBE\"}");
        c.json("batch nested 10000 levels", batch, auth, "{\"actionIds\":" + nested(10_000) + "}");
        c.json("batch actionIds not strings", batch, auth, "{\"actionIds\":[1,{},null],\"verdict\":\"APPROVE\"}");
        final BadHttpCorpus lenient = new BadHttpCorpus();
        // A batch answers 200 with one result per action; what counts is that nothing is a 5xx.
        lenient.json(
                "batch few-MB reason",
                batch,
                auth,
                "{\"actionIds\":[\"" + openActionId + "\"],\"verdict\":\"REJECT\",\"reason\":\"" + "r".repeat(FEW_MB)
                        + "\"}");
        lenient.json("batch script batchId", batch, auth, "{\"batchId\":\"" + SCRIPT + "\",\"verdict\":\"APPROVE\"}");
        lenient.cases.replaceAll(
                x -> new Case(x.name(), x.method(), x.url(), x.headers(), x.body(), Expect.NO_SERVER_ERROR));
        c.cases.addAll(lenient.cases);
        return c.cases;
    }

    /**
     * @param url the approval service
     * @param cookie the session cookie header of a signed-in reviewer (UI)
     * @param csrf the session's CSRF token
     * @param openActionId an action waiting for that reviewer's vote
     * @return the cases of the web UI's forms
     */
    static List<Case> approvalUi(final String url, final String cookie, final String csrf, final String openActionId) {
        final BadHttpCorpus c = new BadHttpCorpus();
        final Map<String, String> form = Map.of("Content-Type", "application/x-www-form-urlencoded");
        final Map<String, String> session =
                Map.of("Content-Type", "application/x-www-form-urlencoded", "Cookie", cookie);
        c.json("ui login without CSRF token", url + "/ui/login", form, "username=reviewer&password=reviewer");
        c.bytes("ui login invalid UTF-8", url + "/ui/login", form, utf8Broken("username=", "&password=x"));
        c.json("ui login few-MB form", url + "/ui/login", form, "username=" + "u".repeat(FEW_MB) + "&password=x");
        c.json(
                "ui login JSON body",
                url + "/ui/login",
                Map.of("Content-Type", "application/json"),
                "{\"username\":\"reviewer\"}");
        c.json("ui login malformed form", url + "/ui/login", form, "%%%&&&==%ZZ");
        final String vote = url + "/ui/requests/" + openActionId + "/vote";
        // Without a session the form is sent to the sign-in page (303): not a vote, not an error.
        c.cases.add(new Case(
                "ui vote without session",
                "POST",
                vote,
                form,
                "verdict=APPROVE".getBytes(StandardCharsets.UTF_8),
                Expect.NO_SERVER_ERROR));
        c.json("ui vote wrong CSRF token", vote, session, "verdict=APPROVE&_csrf=" + enc(SCRIPT));
        final String ok = "&_csrf=" + enc(csrf);
        c.json("ui vote unknown verdict MAYBE", vote, session, "verdict=MAYBE" + ok);
        c.json("ui vote stageIndex NaN", vote, session, "verdict=APPROVE&stageIndex=NaN&requestVersion=-1" + ok);
        c.json("ui vote requestVersion -1", vote, session, "verdict=APPROVE&requestVersion=-1" + ok);
        c.json(
                "ui vote renderedAt huge",
                vote,
                session,
                "verdict=APPROVE&requestVersion=-1&renderedAt=" + "9".repeat(400) + ok);
        c.json("ui vote reject without reason", vote, session, "verdict=REJECT&reason=" + ok);
        c.json("ui vote few-MB reason", vote, session, "verdict=REJECT&reason=" + "r".repeat(FEW_MB) + ok);
        c.json(
                "ui vote modify script arguments",
                vote,
                session,
                "verdict=MODIFY&reason=x&modifiedArguments=" + enc(SCRIPT) + ok);
        c.bytes("ui vote invalid UTF-8", vote, session, utf8Broken("verdict=REJECT&requestVersion=-1&reason=", ok));
        c.json(
                "ui vote JSON body",
                vote,
                Map.of("Content-Type", "application/json", "Cookie", cookie),
                "{\"verdict\":\"APPROVE\"}");
        final String batch = url + "/ui/batches/" + enc(SCRIPT) + "/vote";
        c.json("ui batch vote unknown batch", batch, session, "verdict=APPROVE&item.0=no-such-action" + ok);
        // A batch form names only the batch's requests: a tampered one must not approve another request.
        c.json(
                "ui batch vote naming a request outside the batch",
                url + "/ui/batches/some-batch/vote",
                session,
                "verdict=APPROVE&item.0=" + enc(openActionId) + ok);
        c.json(
                "ui batch vote everything excluded",
                url + "/ui/batches/b/vote",
                session,
                "verdict=APPROVE&item.0=x&exclude.0=x" + ok);
        return c.cases;
    }

    /**
     * @param url the audit service
     * @return the cases of its query, verification, export, report and simulation endpoints
     */
    static List<Case> audit(final String url) {
        final BadHttpCorpus c = new BadHttpCorpus();
        // Authenticated, so that the bad input reaches the checks behind authentication.
        final Map<String, String> none = Map.of("Authorization", AUDITOR);
        c.get("records without a token", url + "/audit/records", Map.of(), Expect.CLIENT_ERROR);
        c.get(
                "records with a forged JWT",
                url + "/audit/records",
                Map.of("Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJhdWRpdG9yIl19."),
                Expect.CLIENT_ERROR);
        c.get("records page NaN", url + "/audit/records?page=NaN", none, Expect.CLIENT_ERROR);
        c.get("records page -1", url + "/audit/records?page=-1", none, Expect.CLIENT_ERROR);
        c.get("records size 1e400", url + "/audit/records?size=1e400", none, Expect.CLIENT_ERROR);
        c.get("records size 99999999999", url + "/audit/records?size=99999999999", none, Expect.CLIENT_ERROR);
        c.get("records from script", url + "/audit/records?from=" + enc(SCRIPT), none, Expect.CLIENT_ERROR);
        c.get("records from month 13", url + "/audit/records?from=2026-13-45", none, Expect.CLIENT_ERROR);
        c.get(
                "records to before from",
                url + "/audit/records?from=2026-02-01&to=2026-01-01",
                none,
                Expect.CLIENT_ERROR);
        c.get(
                "records unknown outcome MAYBE",
                url + "/audit/records?outcome=MAYBE&riskClass=" + enc(SCRIPT) + "&agentId=" + "a".repeat(3000),
                none,
                Expect.NO_SERVER_ERROR);
        c.get("action script id", url + "/audit/actions/" + enc(SCRIPT), none, Expect.CLIENT_ERROR);
        c.get("action over-long id", url + "/audit/actions/" + "a".repeat(3000), none, Expect.CLIENT_ERROR);
        c.get("timeline script id", url + "/audit/actions/" + enc(SCRIPT) + "/timeline", none, Expect.CLIENT_ERROR);
        c.get("export unknown format MAYBE", url + "/audit/export?format=MAYBE", none, Expect.CLIENT_ERROR);
        c.get("export from NaN", url + "/audit/export?from=NaN", none, Expect.CLIENT_ERROR);
        c.get("verify with junk parameters", url + "/audit/verify?x=" + enc(SCRIPT), none, Expect.NO_SERVER_ERROR);
        c.get("calibration from NaN", url + "/audit/reports/calibration?from=NaN", none, Expect.CLIENT_ERROR);
        final Map<String, String> yaml = Map.of("Content-Type", "application/yaml", "Authorization", AUDITOR);
        final String simulate = url + "/audit/simulate";
        c.json("simulate malformed YAML", simulate, yaml, "name: [unclosed\n  version: {");
        c.json("simulate YAML nested 10000 levels", simulate, yaml, nested(10_000));
        c.json("simulate few-MB YAML", simulate, yaml, "name: default\nversion: \"" + "v".repeat(FEW_MB) + "\"\n");
        c.bytes("simulate invalid UTF-8", simulate, yaml, utf8Broken("name: ", "\nversion: x\n"));
        c.json(
                "simulate JSON content type",
                simulate,
                Map.of("Content-Type", "application/json", "Authorization", AUDITOR),
                "{\"name\":\"x\"}");
        c.json("simulate script policy", simulate, yaml, "name: " + SCRIPT + "\nversion: " + SCRIPT + "\n");
        c.json("simulate from NaN", simulate + "?from=NaN", yaml, "name: x\n");
        c.json("simulate YAML alias bomb", simulate, yaml, aliasBomb());
        return c.cases;
    }

    /**
     * @param url the escalation service
     * @return the cases of the operators' halt/resume API
     */
    static List<Case> escalation(final String url, final String agent) {
        final BadHttpCorpus c = new BadHttpCorpus();
        // Signed in as an operator, so that the bad input reaches the checks behind the sign-in.
        final Map<String, String> json = Map.of("Content-Type", "application/json", "Authorization", OPERATOR);
        final String halt = url + "/agents/" + agent + "/halt";
        c.json(
                "halt without the operators' token",
                halt,
                Map.of("Content-Type", "application/json"),
                "{\"reason\":\"x\"}");
        c.json(
                "halt with a wrong operators' token",
                halt,
                Map.of("Content-Type", "application/json", "Authorization", "Bearer " + SCRIPT),
                "{\"reason\":\"x\"}");
        c.json("halt malformed JSON", halt, json, "{\"reason\":");
        c.json("halt nested 10000 levels", halt, json, "{\"reason\":" + nested(10_000) + "}");
        c.json("halt JSON null", halt, json, "null");
        c.json("halt reason number NaN", halt, json, "{\"reason\":NaN}");
        c.json("halt few-MB reason", halt, json, "{\"reason\":\"" + "r".repeat(FEW_MB) + "\"}");
        c.bytes("halt invalid UTF-8", halt, json, utf8Broken("{\"reason\":\"", "\"}"));
        c.json(
                "halt wrong content type",
                halt,
                Map.of("Content-Type", "text/plain", "Authorization", OPERATOR),
                "stop");
        c.json("halt over-long agent id", url + "/agents/" + "a".repeat(3000) + "/halt", json, "{\"reason\":\"x\"}");
        c.json("resume JSON array", url + "/agents/" + agent + "/resume", json, "[1,2]");
        return c.cases;
    }

    /**
     * @param url the classifier
     * @return the cases of the policy API (none may publish)
     */
    static List<Case> classifier(final String url) {
        final BadHttpCorpus c = new BadHttpCorpus();
        final Map<String, String> yaml = Map.of("Content-Type", "application/yaml", "Authorization", OPERATOR);
        final String policy = url + "/policy";
        c.json(
                "policy without the operators' token",
                policy,
                Map.of("Content-Type", "application/yaml"),
                "name: default\n");
        c.json("policy malformed YAML", policy, yaml, "name: [unclosed\n  version: {");
        c.json("policy YAML nested 10000 levels", policy, yaml, nested(10_000));
        c.json("policy few-MB YAML", policy, yaml, "name: default\nversion: \"" + "v".repeat(FEW_MB) + "\"\n");
        c.bytes("policy invalid UTF-8", policy, yaml, utf8Broken("name: ", "\nversion: x\n"));
        c.json(
                "policy JSON content type",
                policy,
                Map.of("Content-Type", "application/json", "Authorization", OPERATOR),
                "{\"name\":\"x\"}");
        c.json("policy script name", policy, yaml, "name: " + SCRIPT + "\nversion: " + SCRIPT + "\n");
        c.json("policy YAML alias bomb", policy, yaml, aliasBomb());
        c.json("policy empty body", policy, yaml, "");
        return c.cases;
    }

    private void json(final String name, final String url, final Map<String, String> headers, final String body) {
        bytes(name, url, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private void bytes(final String name, final String url, final Map<String, String> headers, final byte[] body) {
        cases.add(new Case(name, "POST", url, headers, body, Expect.CLIENT_ERROR));
    }

    private void get(final String name, final String url, final Map<String, String> headers, final Expect expect) {
        cases.add(new Case(name, "GET", url, headers, null, expect));
    }

    /** @return JSON (and YAML flow) arrays nested so deep */
    static String nested(final int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    private static byte[] utf8Broken(final String before, final String after) {
        final byte[] a = before.getBytes(StandardCharsets.UTF_8);
        final byte[] b = after.getBytes(StandardCharsets.UTF_8);
        final byte[] out = new byte[a.length + INVALID_UTF8.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(INVALID_UTF8, 0, out, a.length, INVALID_UTF8.length);
        System.arraycopy(b, 0, out, a.length + INVALID_UTF8.length, b.length);
        return out;
    }

    /** "Billion laughs": aliases of aliases; a parser that expands them runs out of memory. */
    private static String aliasBomb() {
        final StringBuilder yaml = new StringBuilder(
                "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (int i = 1; i < 10; i++) {
            yaml.append('a').append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) {
                yaml.append(j == 0 ? "" : ",").append("*a").append(i - 1);
            }
            yaml.append("]\n");
        }
        return yaml.toString();
    }

    static String enc(final String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    static String clip(final String text) {
        final String flat = text.replaceAll("\\s+", " ");
        return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
    }
}
