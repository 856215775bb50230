package dev.hitl.mcp.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.policy.Glob;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.sdk.TrustedDecisionKeys;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads the gateway's YAML configuration strictly: an unknown key, a missing field or a value of the
 * wrong kind is refused with its line and its path (e.g. {@code line 12: upstreams[0].stdio.command:
 * required}). Scalars may name environment variables as {@code ${NAME}} or {@code ${NAME:default}},
 * so one file serves every environment. The agent's key is never part of an error message.
 */
public final class GatewayConfigLoader {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?}");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern CREDENTIAL_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<String, String> environment;

    /** @param environment how to look up an environment variable ({@code System::getenv} in production) */
    public GatewayConfigLoader(final Function<String, String> environment) {
        this.environment = environment;
    }

    /**
     * @param file the configuration file
     * @return the configuration
     * @throws GatewayConfigException when the file is unreadable or invalid
     */
    public GatewayConfig load(final Path file) {
        final String yaml;
        try {
            yaml = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GatewayConfigException("cannot read the gateway configuration " + file + ": " + e.getMessage());
        }
        final Path directory = file.toAbsolutePath().getParent();
        return parse(yaml, directory == null ? Path.of("") : directory);
    }

    /**
     * @param yaml the configuration as YAML text (relative paths in it are read from the working directory)
     * @return the configuration
     * @throws GatewayConfigException when it is invalid
     */
    public GatewayConfig parse(final String yaml) {
        return parse(yaml, Path.of(""));
    }

    /**
     * @param yaml the configuration as YAML text
     * @param baseDirectory where relative paths in it (the decision keys file, the agent's key file)
     *     are read from
     * @return the configuration
     * @throws GatewayConfigException when it is invalid
     */
    public GatewayConfig parse(final String yaml, final Path baseDirectory) {
        final Node root;
        try {
            final LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(new StringReader(yaml));
        } catch (YAMLException e) {
            throw new GatewayConfigException("not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            throw new GatewayConfigException("the gateway configuration is empty");
        }
        final Fields top =
                fields(root, "", Set.of("agent", "hitl", "decisionTimeout", "progressInterval", "upstreams", "serve"));
        final Fields agent = fields(
                top.required("agent"),
                "agent",
                Set.of("id", "onBehalfOf", "domain", "inputTrust", "credential", "delegate"));
        final String agentId = agent.requiredString("id");
        final AgentCredentials.Credential credential = authentication(agent, agentId, baseDirectory);
        refuseSharedSecrets(top.required("hitl"));
        final Fields hitl =
                fields(top.required("hitl"), "hitl", Set.of("namespace", "kafka", "schemaRegistryUrl", "decisionKeys"));
        final Map<String, String> kafka = stringMap(hitl.required("kafka"), "hitl.kafka");
        if (!kafka.containsKey("bootstrap.servers")) {
            throw error(hitl.required("kafka"), "hitl.kafka.bootstrap.servers", "required");
        }
        final DecisionKeys.PublicKeys keys = decisionKeys(hitl.required("decisionKeys"), baseDirectory);
        final List<GatewayConfig.Upstream> upstreams = new ArrayList<>();
        final Node upstreamList = top.required("upstreams");
        if (!(upstreamList instanceof SequenceNode sequence)
                || sequence.getValue().isEmpty()) {
            throw error(upstreamList, "upstreams", "must be a non-empty list of upstream MCP servers");
        }
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            final GatewayConfig.Upstream upstream = upstream(sequence.getValue().get(i), "upstreams[" + i + "]");
            if (!names.add(upstream.name())) {
                throw error(
                        sequence.getValue().get(i),
                        "upstreams[" + i + "].name",
                        "'" + upstream.name() + "' is used twice");
            }
            upstreams.add(upstream);
        }
        final GatewayConfig.Agent configured = new GatewayConfig.Agent(
                agentId,
                agent.optionalString("onBehalfOf").orElse(""),
                agent.optionalString("domain").orElse(""),
                // UNKNOWN unless the operator says: the gateway cannot know what steers the
                // model, and a made-up USER would lend a prompt-injected write the trust the
                // policy gives a user's own request. Nor does it invent a confidence. The
                // default policy lets reads run at these defaults (a read is harmless whatever
                // the input trust; secrets and outside addresses excepted) and sends writes to
                // a person; see the mcp-gateway README, "Trust and confidence".
                agent.optional("inputTrust")
                        .map(n -> trust(n, "agent.inputTrust"))
                        .orElse(InputTrust.UNKNOWN));
        final Optional<GatewayConfig.Serve> serve = top.optional("serve").map(n -> serve(n, configured, credential));
        return new GatewayConfig(
                configured,
                credential,
                new GatewayConfig.Hitl(
                        hitl.optionalString("namespace")
                                .filter(s -> !s.isBlank())
                                .orElse("hitl"),
                        kafka,
                        hitl.requiredString("schemaRegistryUrl"),
                        keys),
                top.optional("decisionTimeout")
                        .map(n -> duration(n, "decisionTimeout"))
                        .orElse(Duration.ofHours(24)),
                top.optional("progressInterval")
                        .map(n -> duration(n, "progressInterval"))
                        .orElse(Duration.ofSeconds(5)),
                upstreams,
                serve);
    }

    /**
     * {@code serve: {host, port, path, resumeGrace, agents: [{agentId, tokenSha256, onBehalfOf, domain,
     * inputTrust}]}}.
     * With the agent's own credential only {@code agent.id} may be served; with a delegate credential,
     * any agent whose registered delegates include the gateway (the classifier checks that).
     */
    private GatewayConfig.Serve serve(
            final Node node, final GatewayConfig.Agent configured, final AgentCredentials.Credential credential) {
        final Fields fields = fields(node, "serve", Set.of("host", "port", "path", "agents", "resumeGrace"));
        final String host = fields.optionalString("host").orElse("127.0.0.1");
        final String portText = fields.requiredString("port");
        final int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw error(fields.required("port"), "serve.port", "must be a port number (1-65535)");
        }
        if (port < 1 || port > 65535) {
            throw error(fields.required("port"), "serve.port", "must be a port number (1-65535)");
        }
        final String path = fields.optionalString("path").orElse("/mcp");
        if (!path.matches("/[A-Za-z0-9_/-]*")) {
            throw error(fields.required("path"), "serve.path", "must be a path such as /mcp");
        }
        final Node list = fields.required("agents");
        if (!(list instanceof SequenceNode sequence) || sequence.getValue().isEmpty()) {
            throw error(list, "serve.agents", "must be a non-empty list of {agentId, tokenSha256}");
        }
        final boolean delegated = !credential.agentId().equals(configured.id());
        final List<GatewayConfig.ServedAgent> agents = new ArrayList<>();
        final Set<String> ids = new HashSet<>();
        final Set<String> hashes = new HashSet<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            final String at = "serve.agents[" + i + "]";
            final Node entry = sequence.getValue().get(i);
            final Fields a = fields(entry, at, Set.of("agentId", "tokenSha256", "onBehalfOf", "domain", "inputTrust"));
            final String id = a.requiredString("agentId");
            if (!delegated && !id.equals(configured.id())) {
                throw error(
                        a.required("agentId"),
                        at + ".agentId",
                        "is not agent.id: with the agent's own credential the gateway can propose only for"
                                + " agent.id; give agent.delegate (the gateway's credential as a registered"
                                + " delegate) to serve several agents");
            }
            if (delegated && id.equals(credential.agentId())) {
                throw error(a.required("agentId"), at + ".agentId", "is the gateway's own delegate agentId");
            }
            if (!ids.add(id)) {
                throw error(a.required("agentId"), at + ".agentId", "'" + id + "' is listed twice");
            }
            final String hash = a.requiredString("tokenSha256").toLowerCase(java.util.Locale.ROOT);
            if (!hash.matches("[0-9a-f]{64}")) {
                throw error(
                        a.required("tokenSha256"),
                        at + ".tokenSha256",
                        "must be the SHA-256 of the agent's token, 64 hex digits (e.g. printf %s \"$TOKEN\" |"
                                + " sha256sum); never the token itself");
            }
            if (!hashes.add(hash)) {
                throw error(a.required("tokenSha256"), at + ".tokenSha256", "is the token of another agent too");
            }
            final boolean same = id.equals(configured.id());
            agents.add(new GatewayConfig.ServedAgent(
                    new GatewayConfig.Agent(
                            id,
                            a.optionalString("onBehalfOf").orElse(same ? configured.onBehalfOf() : ""),
                            a.optionalString("domain").orElse(same ? configured.domain() : ""),
                            a.optional("inputTrust")
                                    .map(n -> trust(n, at + ".inputTrust"))
                                    .orElse(same ? configured.inputTrust() : InputTrust.UNKNOWN)),
                    java.util.HexFormat.of().parseHex(hash)));
        }
        final Duration grace = fields.optional("resumeGrace")
                .map(n -> {
                    final Duration value = duration(n, "serve.resumeGrace");
                    if (value.compareTo(GatewayConfig.Serve.MAX_RESUME_GRACE) > 0) {
                        throw error(
                                n,
                                "serve.resumeGrace",
                                "must be at most 1h (the event log keeps events twice as long)");
                    }
                    return value;
                })
                .orElse(GatewayConfig.Serve.DEFAULT_RESUME_GRACE);
        return new GatewayConfig.Serve(host, port, path, agents, grace);
    }

    private GatewayConfig.Upstream upstream(final Node node, final String path) {
        final Fields fields = fields(node, path, Set.of("name", "prefix", "stdio", "http", "tools"));
        final String name = fields.requiredString("name");
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw error(fields.required("name"), path + ".name", "may hold only letters, digits, '_' and '-'");
        }
        final Optional<GatewayConfig.Stdio> stdio = fields.optional("stdio").map(n -> {
            final Fields s = fields(n, path + ".stdio", Set.of("command", "args", "env"));
            return new GatewayConfig.Stdio(
                    s.requiredString("command"),
                    s.optional("args")
                            .map(a -> strings(a, path + ".stdio.args"))
                            .orElse(List.of()),
                    s.optional("env")
                            .map(e -> stringMap(e, path + ".stdio.env"))
                            .orElse(Map.of()));
        });
        final Optional<GatewayConfig.Http> http = fields.optional("http").map(n -> {
            final Fields h = fields(n, path + ".http", Set.of("url", "headers"));
            final String url = h.requiredString("url");
            if (!url.startsWith("http://") && !url.startsWith("https://")) {
                throw error(h.required("url"), path + ".http.url", "must be an http:// or https:// URL");
            }
            return new GatewayConfig.Http(
                    url,
                    h.optional("headers")
                            .map(e -> stringMap(e, path + ".http.headers"))
                            .orElse(Map.of()));
        });
        if (stdio.isPresent() == http.isPresent()) {
            throw error(node, path, "needs exactly one of 'stdio' and 'http'");
        }
        final List<ToolMapping> tools = new ArrayList<>();
        fields.optional("tools").ifPresent(list -> {
            if (!(list instanceof SequenceNode sequence)) {
                throw error(list, path + ".tools", "must be a list of tool mappings");
            }
            for (int i = 0; i < sequence.getValue().size(); i++) {
                final String at = path + ".tools[" + i + "]";
                final Fields t = fields(
                        sequence.getValue().get(i),
                        at,
                        Set.of("match", "actionType", "tool", "target", "systemsAffected"));
                tools.add(new ToolMapping(
                        Glob.of(t.requiredString("match")),
                        t.requiredString("actionType"),
                        t.optionalString("tool"),
                        t.optionalString("target"),
                        t.optional("systemsAffected")
                                .map(s -> strings(s, at + ".systemsAffected"))
                                .orElse(List.of(name))));
            }
        });
        return new GatewayConfig.Upstream(name, fields.optionalString("prefix").orElse(""), stdio, http, tools);
    }

    /**
     * The credential the gateway authenticates its proposals and withdrawals with: {@code
     * agent.credential} (the agent's own) or {@code agent.delegate} (the gateway's own agent id and
     * credential, proposing as a delegate of {@code agent.id}); exactly one.
     */
    private AgentCredentials.Credential authentication(
            final Fields agent, final String agentId, final Path baseDirectory) {
        final Optional<Node> own = agent.optional("credential");
        final Optional<Node> delegate = agent.optional("delegate");
        if (own.isPresent() && delegate.isPresent()) {
            throw error(
                    delegate.get(),
                    "agent",
                    "needs either 'credential' (the agent's own) or 'delegate' (the gateway's, as a registered"
                            + " delegate of the agent), not both");
        }
        if (own.isPresent()) {
            return credential(own.get(), "agent.credential", agentId, baseDirectory);
        }
        if (delegate.isEmpty()) {
            throw error(
                    agent.node,
                    "agent.credential",
                    "required: the agent's credential ({id: <credential id>, key: <key, base64url>} or keyFile"
                            + " instead of key), as the operators issued it; hitl refuses proposals it cannot"
                            + " authenticate. A gateway registered as the agent's delegate gives 'delegate'"
                            + " instead");
        }
        final Fields fields = fields(delegate.get(), "agent.delegate", Set.of("agentId", "credential"));
        final String delegateId = fields.requiredString("agentId");
        if (delegateId.equals(agentId)) {
            throw error(
                    fields.required("agentId"),
                    "agent.delegate.agentId",
                    "is agent.id itself: give the agent's own credential as agent.credential");
        }
        return credential(fields.required("credential"), "agent.delegate.credential", delegateId, baseDirectory);
    }

    /** {@code {id, key | keyFile}}: the key as base64url, inline (e.g. {@code ${HITL_AGENT_KEY}}) or in a file. */
    private AgentCredentials.Credential credential(
            final Node node, final String path, final String agentId, final Path baseDirectory) {
        final Fields fields = fields(node, path, Set.of("id", "key", "keyFile"));
        final String id = fields.requiredString("id");
        if (!CREDENTIAL_ID.matcher(id).matches()) {
            throw error(fields.required("id"), path + ".id", "a credential id is 1-64 letters, digits, '_' or '-'");
        }
        final boolean inline = fields.optional("key").isPresent();
        if (inline == fields.optional("keyFile").isPresent()) {
            throw error(
                    node,
                    path,
                    "needs exactly one of 'key' (the key, base64url, e.g. ${HITL_AGENT_KEY}) and 'keyFile' (a file"
                            + " holding it)");
        }
        final String key;
        final String at;
        if (inline) {
            at = path + ".key";
            key = fields.requiredString("key");
        } else {
            at = path + ".keyFile";
            final Path file = baseDirectory.resolve(fields.requiredString("keyFile"));
            try {
                key = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw error(
                        fields.required("keyFile"),
                        at,
                        "cannot read the agent key from " + file + ": "
                                + e.getClass().getSimpleName());
            }
        }
        try {
            return AgentCredentials.Credential.of(agentId, id, key);
        } catch (IllegalArgumentException e) {
            // The messages of Credential.of never quote the key.
            throw error(fields.required(inline ? "key" : "keyFile"), at, e.getMessage());
        }
    }

    /**
     * The deciders' public keys: {@code file} (a JWKS or one JWK) and/or {@code jwks} (the same inline,
     * as JSON text or as YAML); both add up.
     */
    private DecisionKeys.PublicKeys decisionKeys(final Node node, final Path baseDirectory) {
        final String path = "hitl.decisionKeys";
        final Fields fields = fields(node, path, Set.of("file", "jwks"));
        if (fields.optional("file").isEmpty() && fields.optional("jwks").isEmpty()) {
            throw error(node, path, "needs 'file' (a JWKS file) or 'jwks' (the deciders' public keys inline)");
        }
        DecisionKeys.PublicKeys keys = null;
        final Optional<String> file = fields.optionalString("file");
        if (file.isPresent()) {
            try {
                keys = TrustedDecisionKeys.read(baseDirectory.resolve(file.get()));
            } catch (IllegalArgumentException e) {
                throw error(fields.required("file"), path + ".file", e.getMessage());
            }
        }
        final Optional<Node> inline = fields.optional("jwks");
        if (inline.isPresent()) {
            final String json = inline.get() instanceof ScalarNode
                    ? scalar(inline.get(), path + ".jwks")
                    : json(inline.get(), path + ".jwks").toString();
            try {
                final DecisionKeys.PublicKeys given = TrustedDecisionKeys.parse(json);
                keys = keys == null ? given : TrustedDecisionKeys.merge(keys, given);
            } catch (IllegalArgumentException e) {
                throw error(inline.get(), path + ".jwks", e.getMessage());
            }
        }
        if (keys == null) {
            throw error(node, path, "names no key");
        }
        return keys;
    }

    /** A YAML map or list as JSON, every scalar a string (JWK members are strings). */
    private JsonNode json(final Node node, final String path) {
        if (node instanceof MappingNode mapping) {
            final ObjectNode object = JSON.createObjectNode();
            for (final NodeTuple tuple : mapping.getValue()) {
                final String key = scalar(tuple.getKeyNode(), path);
                object.set(key, json(tuple.getValueNode(), path + "." + key));
            }
            return object;
        }
        if (node instanceof SequenceNode sequence) {
            final ArrayNode array = JSON.createArrayNode();
            for (int i = 0; i < sequence.getValue().size(); i++) {
                array.add(json(sequence.getValue().get(i), path + "[" + i + "]"));
            }
            return array;
        }
        return JSON.getNodeFactory().textNode(scalar(node, path));
    }

    /** HMAC decision keys are gone: say so rather than "unknown field". */
    private static void refuseSharedSecrets(final Node hitl) {
        if (hitl instanceof MappingNode mapping) {
            for (final NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode key
                        && key.getValue().equals("trustedKeys")) {
                    throw error(
                            key,
                            "hitl.trustedKeys",
                            "shared decision-signing secrets are no longer accepted: whoever can check a decision"
                                    + " with one can make one. Give the deciders' public keys instead, under"
                                    + " hitl.decisionKeys (file: a JWKS, as served at "
                                    + DecisionKeys.JWKS_PATH + ", or jwks: the keys inline)");
                }
            }
        }
    }

    private InputTrust trust(final Node node, final String path) {
        final String text = scalar(node, path);
        try {
            return InputTrust.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw error(node, path, "'" + text + "' is not one of " + java.util.Arrays.toString(InputTrust.values()));
        }
    }

    private Duration duration(final Node node, final String path) {
        final String text = scalar(node, path);
        final Matcher shortForm = SHORT_DURATION.matcher(text);
        final Duration value;
        if (shortForm.matches()) {
            final long amount = Long.parseLong(shortForm.group(1));
            value = switch (shortForm.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } else {
            try {
                value = Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw error(node, path, "'" + text + "' is not a duration (e.g. 30s, 10m, 24h or PT1H)");
            }
        }
        if (value.isNegative() || value.isZero()) {
            throw error(node, path, "must be positive");
        }
        return value;
    }

    private List<String> strings(final Node node, final String path) {
        if (!(node instanceof SequenceNode sequence)) {
            throw error(node, path, "must be a list");
        }
        final List<String> values = new ArrayList<>();
        for (int i = 0; i < sequence.getValue().size(); i++) {
            values.add(scalar(sequence.getValue().get(i), path + "[" + i + "]"));
        }
        return values;
    }

    private Map<String, String> stringMap(final Node node, final String path) {
        if (!(node instanceof MappingNode mapping)) {
            throw error(node, path, "must be a map");
        }
        final Map<String, String> values = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue()) {
            final String key = scalar(tuple.getKeyNode(), path);
            values.put(key, scalar(tuple.getValueNode(), path + "." + key));
        }
        return values;
    }

    private String scalar(final Node node, final String path) {
        if (!(node instanceof ScalarNode scalar)) {
            throw error(node, path, "must be a single value");
        }
        return substitute(scalar.getValue(), node, path);
    }

    private String substitute(final String text, final Node node, final String path) {
        final Matcher variable = VARIABLE.matcher(text);
        final StringBuilder out = new StringBuilder();
        while (variable.find()) {
            String value = environment.apply(variable.group(1));
            if (value == null) {
                if (variable.group(2) == null) {
                    throw error(
                            node, path, "environment variable " + variable.group(1) + " is not set and has no default");
                }
                value = variable.group(2);
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        variable.appendTail(out);
        return out.toString();
    }

    private Fields fields(final Node node, final String path, final Set<String> allowed) {
        if (!(node instanceof MappingNode mapping)) {
            throw error(node, path.isEmpty() ? "(top level)" : path, "must be a map");
        }
        final Map<String, Node> values = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue()) {
            final String key =
                    tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : String.valueOf(tuple.getKeyNode());
            final String at = path.isEmpty() ? key : path + "." + key;
            if (!allowed.contains(key)) {
                throw error(
                        tuple.getKeyNode(), at, "unknown field; expected one of " + new java.util.TreeSet<>(allowed));
            }
            values.put(key, tuple.getValueNode());
        }
        return new Fields(node, path, values);
    }

    private static GatewayConfigException error(final Node node, final String path, final String problem) {
        return new GatewayConfigException("line " + (node.getStartMark().getLine() + 1) + ": " + path + ": " + problem);
    }

    /** The fields of one YAML map, with its path for errors. */
    private final class Fields {
        private final Node node;
        private final String path;
        private final Map<String, Node> values;

        Fields(final Node node, final String path, final Map<String, Node> values) {
            this.node = node;
            this.path = path;
            this.values = values;
        }

        Node required(final String key) {
            final Node value = values.get(key);
            if (value == null) {
                throw error(node, at(key), "required");
            }
            return value;
        }

        Optional<Node> optional(final String key) {
            return Optional.ofNullable(values.get(key));
        }

        String requiredString(final String key) {
            final String value = scalar(required(key), at(key));
            if (value.isBlank()) {
                throw error(values.get(key), at(key), "must not be empty");
            }
            return value;
        }

        Optional<String> optionalString(final String key) {
            return optional(key).map(n -> scalar(n, at(key))).filter(s -> !s.isEmpty());
        }

        private String at(final String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }
}
