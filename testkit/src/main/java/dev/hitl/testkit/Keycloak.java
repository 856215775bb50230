package dev.hitl.testkit;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.hitl.local.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real OpenID Connect provider for tests: Keycloak ({@code start-dev}, in-memory database) as a
 * child process on a free port of 127.0.0.1, with one realm imported at start.
 *
 * <pre>{@code
 * try (Keycloak keycloak = Keycloak.start(realm)) {
 *     String issuer = keycloak.issuer();           // http://127.0.0.1:<port>/realms/hitl
 *     OidcTokens tokens = keycloak.passwordGrant("hitl-tests", "alice", "alice-password");
 * }
 * }</pre>
 *
 * <p>The distribution comes from the zip named by the {@value KeycloakDistribution#DIST_PROPERTY}
 * system property, unzipped and built once into a cache shared by every run (see
 * {@code testkit/README.md}). Each instance has its own home directory (configuration, data, the
 * realm to import, temporary files), deleted on {@link #close()}; its log is kept in
 * {@link #logFile()} until then and quoted in every start failure.
 *
 * <p>Keycloak ends with the test JVM: {@link #close()} stops it, a shutdown hook stops it when the
 * JVM exits, and when the JVM is killed the closed pipe of the child's standard input stops it.
 */
public final class Keycloak implements AutoCloseable {

    /** System property: JVM options of the Keycloak process instead of {@link #DEFAULT_JVM_OPTIONS}. */
    public static final String JVM_OPTIONS_PROPERTY = "hitl.keycloak.jvm-options";

    /** Heap and compiler settings of the Keycloak process: a modest heap, quick start. */
    public static final List<String> DEFAULT_JVM_OPTIONS =
            List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /** The bootstrap administrator of the {@code master} realm. */
    public static final String ADMIN_USERNAME = "admin";

    private static final Logger LOG = LoggerFactory.getLogger(Keycloak.class);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int PORT_ATTEMPTS = 3;

    /*
     * Runs Keycloak ("$@") in the background and waits for it. A watcher reads this JVM's pipe to the
     * shell's standard input (fd 3: a background job's own standard input is /dev/null) and stops
     * Keycloak when the pipe closes: on close(), or when this JVM dies however it dies.
     */
    private static final String LAUNCHER = "exec 3<&0\n"
            + "\"$@\" </dev/null &\n"
            + "child=$!\n"
            + "{ cat <&3 >/dev/null; kill -TERM \"$child\" 2>/dev/null; } &\n"
            + "exec 3<&-\n"
            + "wait \"$child\"\n";

    private final KeycloakRealm realm;
    private final String realmName;
    private final Path home;
    private final Path logFile;
    private final int port;
    private final String adminPassword;
    private final Process process;
    private final Thread shutdownHook;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile boolean closed;

    private Keycloak(
            final KeycloakRealm realm,
            final String realmName,
            final Path home,
            final Path logFile,
            final int port,
            final String adminPassword,
            final Process process) {
        this.realm = realm;
        this.realmName = realmName;
        this.home = home;
        this.logFile = logFile;
        this.port = port;
        this.adminPassword = adminPassword;
        this.process = process;
        this.shutdownHook = new Thread(this::stop, "keycloak-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts Keycloak with this realm and waits until the realm's discovery document answers.
     *
     * @param realm the realm to import
     * @return the running provider
     */
    public static Keycloak start(final KeycloakRealm realm) {
        return start(realm, realm.toJson(), null);
    }

    /**
     * Starts Keycloak with a realm given as Keycloak's import JSON (for settings {@link
     * KeycloakRealm} does not cover) and waits until the realm's discovery document answers.
     *
     * @param realmJson the realm export/import JSON; its {@code realm} field names the realm
     * @param logFile where Keycloak's output goes, or null for a file in its home directory
     * @return the running provider; {@link #realm()} is null
     */
    public static Keycloak start(final String realmJson, final Path logFile) {
        return start(null, realmJson, logFile);
    }

    /**
     * @param realm the realm to import
     * @param logFile where Keycloak's output goes (kept after {@link #close()}), or null for a file in
     *     its home directory (deleted on close)
     * @return the running provider
     */
    public static Keycloak start(final KeycloakRealm realm, final Path logFile) {
        return start(realm, realm.toJson(), logFile);
    }

    private static Keycloak start(final KeycloakRealm realm, final String realmJson, final Path logFile) {
        final String realmName;
        try {
            realmName = Objects.requireNonNull(
                    JSONObjectUtils.getString(JSONObjectUtils.parse(realmJson), "realm"), "the realm JSON's realm");
        } catch (ParseException e) {
            throw new IllegalArgumentException("the realm JSON does not parse: " + e.getMessage(), e);
        }
        final Path dist = KeycloakDistribution.prepared();
        for (int attempt = 1; ; attempt++) {
            final Path home;
            try {
                home = Files.createTempDirectory("hitl-keycloak-");
                Files.createDirectories(home.resolve("conf"));
                Files.createDirectories(home.resolve("data").resolve("import"));
                Files.writeString(home.resolve("data").resolve("import").resolve(realmName + "-realm.json"), realmJson);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a home directory for Keycloak", e);
            }
            final Path log = logFile != null ? logFile : home.resolve("keycloak.log");
            final Keycloak keycloak = launch(realm, realmName, dist, home, log, KafkaBroker.freePort());
            try {
                keycloak.awaitReady();
                return keycloak;
            } catch (PortTakenException e) {
                keycloak.close();
                if (attempt == PORT_ATTEMPTS) {
                    throw new IllegalStateException("Keycloak found its port taken " + attempt + " times", e);
                }
            } catch (RuntimeException e) {
                final String tail = tail(log, 60);
                keycloak.close();
                throw new IllegalStateException(e.getMessage() + "\n--- Keycloak log (end) ---\n" + tail, e);
            }
        }
    }

    private static Keycloak launch(
            final KeycloakRealm realm,
            final String realmName,
            final Path dist,
            final Path home,
            final Path log,
            final int port) {
        final List<String> command = new ArrayList<>(List.of("sh", "-c", LAUNCHER, "keycloak"));
        final List<String> java = new ArrayList<>(javaCommand(dist, home, jvmOptions()));
        // The distribution is already built for these options: never rebuild (instances share it).
        java.add(1, "-Dkc.config.built=true");
        command.addAll(java);
        command.add("start-dev");
        command.addAll(KeycloakDistribution.BUILD_OPTIONS);
        command.add("--http-host=127.0.0.1");
        command.add("--http-port=" + port);
        // A fixed issuer, whatever host name a client uses to reach it.
        command.add("--hostname=http://127.0.0.1:" + port);
        command.add("--import-realm");
        final String adminPassword = HexFormat.of().formatHex(randomBytes(16));
        final ProcessBuilder builder = new ProcessBuilder(command)
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        final Map<String, String> env = builder.environment();
        env.keySet().removeIf(name -> name.startsWith("KC_") || name.startsWith("QUARKUS_"));
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USERNAME);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            return new Keycloak(realm, realmName, home, log, port, adminPassword, builder.start());
        } catch (IOException e) {
            KeycloakDistribution.deleteRecursively(home);
            throw new UncheckedIOException("cannot start Keycloak", e);
        }
    }

    /** The java command line of Keycloak's {@code kc.sh}, without the script: one process to stop. */
    static List<String> javaCommand(final Path dist, final Path home, final List<String> jvmOptions) {
        final Path tmp = home.resolve("tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        // From kc.sh of Keycloak 26.7: memory guards, encodings, the modules JBoss Threads opens.
        command.addAll(List.of(
                "-XX:MetaspaceSize=96M",
                "-XX:MaxMetaspaceSize=256m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Dfile.encoding=UTF-8",
                "-Dsun.stdout.encoding=UTF-8",
                "-Dsun.err.encoding=UTF-8",
                "-Djava.security.egd=file:/dev/urandom",
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.base/java.security=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "-Duser.language=en",
                "-Duser.country=US",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dpicocli.disable.closures=true",
                "-Dquarkus-log-max-startup-records=10000",
                "-Djava.util.concurrent.ForkJoinPool.common.threadFactory="
                        + "io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory",
                "-Djava.io.tmpdir=" + tmp,
                "-Dkc.home.dir=" + home,
                "-Djboss.server.config.dir=" + home.resolve("conf"),
                "-cp",
                dist.resolve("lib").resolve("quarkus-run.jar").toString(),
                "io.quarkus.bootstrap.runner.QuarkusEntryPoint"));
        return command;
    }

    private static List<String> jvmOptions() {
        final String property = System.getProperty(JVM_OPTIONS_PROPERTY);
        return property == null || property.isBlank()
                ? DEFAULT_JVM_OPTIONS
                : List.of(property.trim().split("\\s+"));
    }

    private void awaitReady() {
        final long started = System.nanoTime();
        final HttpRequest probe = HttpRequest.newBuilder(URI.create(discoveryUrl()))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        final long deadline = started + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                final String log = tail(logFile, 200);
                if (log.contains("Address already in use") || log.contains("Port(s) already bound")) {
                    throw new PortTakenException();
                }
                throw new IllegalStateException("Keycloak exited with code " + process.exitValue() + " during start");
            }
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    LOG.info(
                            "Keycloak ready at {} in {} ms (pid {}, log {})",
                            issuer(),
                            (System.nanoTime() - started) / 1_000_000,
                            process.pid(),
                            logFile);
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak", e);
            }
            try {
                // A child with no readiness signal but its HTTP answer: a short back-off between polls.
                process.waitFor(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Keycloak", e);
            }
        }
        throw new IllegalStateException("Keycloak was not ready within " + READY_TIMEOUT);
    }

    /** @return the server's root URL, e.g. {@code http://127.0.0.1:41234} */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** @return the port Keycloak listens on (127.0.0.1 only) */
    public int port() {
        return port;
    }

    /** @return the realm's issuer, e.g. {@code http://127.0.0.1:41234/realms/hitl} */
    public String issuer() {
        return baseUrl() + "/realms/" + realmName;
    }

    /** @return the realm's OpenID Connect discovery document URL */
    public String discoveryUrl() {
        return issuer() + "/.well-known/openid-configuration";
    }

    /** @return the realm's token endpoint */
    public String tokenEndpoint() {
        return issuer() + "/protocol/openid-connect/token";
    }

    /** @return the realm's JSON Web Key Set URL */
    public String jwksUrl() {
        return issuer() + "/protocol/openid-connect/certs";
    }

    /** @return the realm as started, or null when it was given as raw JSON */
    public KeycloakRealm realm() {
        return realm;
    }

    /** @return the realm's first client (its id and secret) */
    public KeycloakRealm.Client client() {
        if (realm == null || realm.clients().isEmpty()) {
            throw new IllegalStateException("the realm has no client known to the testkit");
        }
        return realm.clients().get(0);
    }

    /** @return the realm's first client's id */
    public String clientId() {
        return client().clientId();
    }

    /** @return the realm's first client's secret, or null for a public client */
    public String clientSecret() {
        return client().secret();
    }

    /** @return the password of the {@value #ADMIN_USERNAME} user of the {@code master} realm */
    public String adminPassword() {
        return adminPassword;
    }

    /** @return the discovery document */
    public Map<String, Object> discovery() {
        return getJson(discoveryUrl());
    }

    /**
     * Tokens for a user by the resource-owner password grant (API tests; the client needs
     * {@link KeycloakRealm.Client#withDirectAccessGrants()}).
     *
     * @return access, ID and refresh token
     * @throws IllegalStateException with the provider's answer when it refuses
     */
    public OidcTokens passwordGrant(final String clientId, final String username, final String password) {
        return token(
                clientId,
                Map.of("grant_type", "password", "username", username, "password", password, "scope", "openid"));
    }

    /**
     * Tokens for a client's service account (the client needs {@link
     * KeycloakRealm.Client#withServiceAccount(String...)}).
     *
     * @return an access token (no ID or refresh token)
     * @throws IllegalStateException with the provider's answer when it refuses
     */
    public OidcTokens clientCredentials(final String clientId) {
        return token(clientId, Map.of("grant_type", "client_credentials"));
    }

    /** @return an access token of the {@code master} realm's administrator, for the admin REST API */
    public String adminAccessToken() {
        final Map<String, String> form = Map.of(
                "grant_type",
                "password",
                "client_id",
                "admin-cli",
                "username",
                ADMIN_USERNAME,
                "password",
                adminPassword);
        return (String) post(baseUrl() + "/realms/master/protocol/openid-connect/token", form, null)
                .get("access_token");
    }

    /**
     * Verifies a token of this realm: signature against the realm's JWKS (RS256), issuer and expiry.
     *
     * @param jwt a compact JWT
     * @return its claims
     * @throws IllegalArgumentException when it does not verify
     */
    public JWTClaimsSet verify(final String jwt) {
        try {
            final JWKSet keys = JWKSet.parse(JSONObjectUtils.toJSONString(getJson(jwksUrl())));
            final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
            processor.setJWSKeySelector(
                    new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(keys)));
            processor.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(
                    new JWTClaimsSet.Builder().issuer(issuer()).build(), Set.of("exp", "iat")));
            return processor.process(jwt, null);
        } catch (ParseException | BadJOSEException | JOSEException e) {
            throw new IllegalArgumentException("the token does not verify: " + e.getMessage(), e);
        }
    }

    private OidcTokens token(final String clientId, final Map<String, String> grant) {
        final KeycloakRealm.Client client =
                realm == null ? null : realm.client(clientId).orElse(null);
        final Map<String, String> form = new LinkedHashMap<>(grant);
        form.put("client_id", clientId);
        return OidcTokens.of(post(tokenEndpoint(), form, client == null ? null : client.secret()));
    }

    private Map<String, Object> post(final String url, final Map<String, String> form, final String clientSecret) {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form)));
        if (clientSecret != null) {
            final String credentials = form.get("client_id") + ":" + clientSecret;
            request.header(
                    "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return send(request.build());
    }

    private Map<String, Object> getJson(final String url) {
        return send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build());
    }

    private Map<String, Object> send(final HttpRequest request) {
        try {
            final HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(request.method() + " " + request.uri() + " answered "
                        + response.statusCode() + ": " + response.body());
            }
            return JSONObjectUtils.parse(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ParseException e) {
            throw new IllegalStateException("not JSON from " + request.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * @param form names and values
     * @return the form as an {@code application/x-www-form-urlencoded} body
     */
    public static String formBody(final Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** @return the file Keycloak writes its output to */
    public Path logFile() {
        return logFile;
    }

    /** @return Keycloak's output so far (for a failing test's report) */
    public String log() {
        return tail(logFile, Integer.MAX_VALUE);
    }

    /** @return the process id of Keycloak's launcher (Keycloak's JVM is its child) */
    public long pid() {
        return process.pid();
    }

    /** @return whether the Keycloak process runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops Keycloak (its whole process tree) and deletes its home directory. */
    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs stop() too
        }
    }

    private synchronized void stop() {
        if (closed) {
            return;
        }
        closed = true;
        final List<ProcessHandle> tree = Stream.concat(Stream.of(process.toHandle()), process.descendants())
                .toList();
        try {
            // The launcher's watcher sees the pipe close and sends Keycloak SIGTERM: a clean shutdown.
            process.getOutputStream().close();
        } catch (IOException e) {
            // already closed
        }
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Keycloak (pid {}) did not stop within {}: killing it", process.pid(), STOP_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
        KeycloakDistribution.deleteRecursively(home);
    }

    static String tail(final Path file, final int lines) {
        try {
            final List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static byte[] randomBytes(final int count) {
        final byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    private static final class PortTakenException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortTakenException() {
            super("Keycloak's port was taken");
        }
    }
}
