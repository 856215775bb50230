package dev.hitl.mcp.config;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The gateway's whole configuration, as read from its YAML file by {@link GatewayConfigLoader}.
 *
 * @param agent who the gateway proposes as: every connection through this gateway acts as this agent
 * @param credential what the gateway authenticates its proposals and withdrawals with: the agent's
 *     own credential ({@code agent.credential}), or, when its agentId is not {@code agent.id}, the
 *     gateway's own as a registered delegate of the agent ({@code agent.delegate}); its {@code
 *     toString} never shows the key
 * @param hitl where hitl runs: Kafka settings, schema registry, topic namespace, the deciders' public keys
 * @param decisionTimeout how long a tool call waits for its decision before it returns a tool error
 *     (the proposal stays open: hitl may still decide it, and the call is then never run)
 * @param progressInterval how often a waiting call sends an MCP progress notification
 * @param upstreams the MCP servers whose tools the gateway offers, in order
 * @param serve when present, the gateway serves MCP over streamable HTTP to the agents listed there
 *     (each authenticated by its bearer token) instead of over stdio
 */
public record GatewayConfig(
        Agent agent,
        AgentCredentials.Credential credential,
        Hitl hitl,
        Duration decisionTimeout,
        Duration progressInterval,
        List<Upstream> upstreams,
        Optional<Serve> serve) {

    public GatewayConfig {
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(serve, "serve");
        Objects.requireNonNull(credential, "credential");
        Objects.requireNonNull(hitl, "hitl");
        upstreams = List.copyOf(upstreams);
    }

    /** @return whether the gateway proposes as a delegate of the agent (with its own credential) */
    public boolean delegated() {
        return !credential.agentId().equals(agent.id());
    }

    /**
     * @param id the agentId of every proposal
     * @param onBehalfOf the person the agent works for (reviewers cannot approve their own agent's
     *     actions), empty when unknown
     * @param domain the agent's business domain, empty when none
     * @param inputTrust what the operator knows about the inputs that steer the agent's model, as
     *     the proposals' {@code inputTrust} when the client does not say (UNKNOWN unless configured)
     */
    public record Agent(String id, String onBehalfOf, String domain, InputTrust inputTrust) {}

    /**
     * @param namespace topic namespace ({@code hitl} in a standard installation)
     * @param kafka Kafka client settings (bootstrap.servers, security settings, ...)
     * @param schemaRegistryUrl the Confluent-API registry URL
     * @param decisionKeys the deciders' public Ed25519 keys (several while keys rotate): every
     *     decision is verified with them; the gateway holds no key that could make a decision
     */
    public record Hitl(
            String namespace,
            Map<String, String> kafka,
            String schemaRegistryUrl,
            DecisionKeys.PublicKeys decisionKeys) {
        public Hitl {
            kafka = Map.copyOf(kafka);
            Objects.requireNonNull(decisionKeys, "decisionKeys");
        }
    }

    /**
     * An upstream MCP server.
     *
     * @param name a short name, used in logs, in the default action type and in tool prefixes
     * @param prefix prepended to each of its tool names as the agent sees them ("" for none)
     * @param stdio how to start it as a child process, when it speaks MCP over stdio
     * @param http where it listens, when it speaks streamable HTTP
     * @param tools how its tools map to hitl actions; the first match wins, unmatched tools get the
     *     default from their name and annotations ({@link ToolMapping#defaultFor})
     */
    public record Upstream(
            String name, String prefix, Optional<Stdio> stdio, Optional<Http> http, List<ToolMapping> tools) {
        public Upstream {
            tools = List.copyOf(tools);
        }
    }

    /**
     * @param command the program
     * @param args its arguments
     * @param env extra environment variables
     */
    public record Stdio(String command, List<String> args, Map<String, String> env) {
        public Stdio {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }
    }

    /**
     * @param url the streamable HTTP endpoint, e.g. {@code http://127.0.0.1:3001/mcp}
     * @param headers headers sent with every request (e.g. Authorization)
     */
    public record Http(String url, Map<String, String> headers) {
        public Http {
            headers = Map.copyOf(headers);
        }
    }

    /**
     * MCP over streamable HTTP, for agents on other machines.
     *
     * @param host the address to listen on (127.0.0.1 unless configured)
     * @param port the port
     * @param path the MCP endpoint's path ({@code /mcp} unless configured)
     * @param agents the agents that may connect, each with the SHA-256 of its bearer token
     * @param resumeGrace how long a waiting call's event stream may stay disconnected before the
     *     gateway takes its session for abandoned and withdraws the call's proposal (a client that
     *     resumes the stream within it, with {@code Last-Event-ID}, keeps its call)
     */
    public record Serve(String host, int port, String path, List<ServedAgent> agents, Duration resumeGrace) {
        /** The default {@code serve.resumeGrace}. */
        public static final Duration DEFAULT_RESUME_GRACE = Duration.ofMinutes(2);

        /** The longest {@code serve.resumeGrace}: the event log keeps events for twice as long. */
        public static final Duration MAX_RESUME_GRACE = Duration.ofHours(1);

        public Serve {
            agents = List.copyOf(agents);
            Objects.requireNonNull(resumeGrace, "resumeGrace");
        }
    }

    /**
     * An agent that connects over HTTP: its calls are proposed with its agentId.
     *
     * @param agent its agentId and what the operator knows of it (as {@code agent} for stdio)
     * @param tokenSha256 the SHA-256 of its bearer token (32 bytes); the token itself is never configured
     */
    public record ServedAgent(Agent agent, byte[] tokenSha256) {
        public ServedAgent {
            tokenSha256 = tokenSha256.clone();
        }

        @Override
        public byte[] tokenSha256() {
            return tokenSha256.clone();
        }

        @Override
        public boolean equals(final Object other) {
            return other instanceof ServedAgent o
                    && agent.equals(o.agent)
                    && java.security.MessageDigest.isEqual(tokenSha256, o.tokenSha256);
        }

        @Override
        public int hashCode() {
            return agent.hashCode();
        }

        @Override
        public String toString() {
            return "ServedAgent[agent=" + agent + ", tokenSha256=(hidden)]";
        }
    }
}
