package dev.hitl.deploy;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The MCP gateway in the local stack: a configuration that puts the reference filesystem MCP server
 * behind the gateway (so any MCP client can be pointed at it), and a demo agent that speaks MCP to
 * it: one read that flows through, one write that waits for a reviewer in the web UI.
 */
public final class McpGatewayDemo implements AutoCloseable {

    /** The reference filesystem server, at the version the tests use (deploy/node/package.json). */
    static final String FILESYSTEM_SERVER = "@modelcontextprotocol/server-filesystem@2026.8.31";

    private final McpSyncClient client;
    private final Thread agent;
    private final java.util.concurrent.atomic.AtomicBoolean closing;

    private McpGatewayDemo(
            final McpSyncClient client, final Thread agent, final java.util.concurrent.atomic.AtomicBoolean closing) {
        this.client = client;
        this.agent = agent;
        this.closing = closing;
    }

    /**
     * Writes the gateway's configuration for a stack: one upstream, the filesystem server over
     * {@code files}, its tools mapped to hitl's file actions.
     *
     * @param file where to write it
     * @param root the hitl checkout (the filesystem server is taken from deploy/node when installed
     *     there, else started with npx)
     * @param files the directory the filesystem server may touch
     * @param bootstrapServers the broker
     * @param registryUrl the registry's Confluent API
     * @param decisionKeys the deciders' public keys (a JWKS file) the gateway verifies decisions with
     * @param credential the agent's credential (its key is written to a file next to the config, mode 600)
     * @param agentId the agent the gateway proposes as
     * @param decisionTimeout how long a call waits for a person
     * @param progressInterval how often a waiting call reports progress
     * @return the file
     */
    public static Path writeConfig(
            final Path file,
            final Path root,
            final Path files,
            final String bootstrapServers,
            final String registryUrl,
            final Path decisionKeys,
            final dev.hitl.schemas.integrity.AgentCredentials.Credential credential,
            final String agentId,
            final Duration decisionTimeout,
            final Duration progressInterval) {
        final Path installed =
                root.resolve("deploy/node/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
        final List<String> server = Files.isRegularFile(installed)
                ? List.of("node", installed.toString(), files.toString())
                : List.of("npx", "-y", FILESYSTEM_SERVER, files.toString());
        // The agent's key, readable by its owner only, next to the configuration that names it.
        final Path keyFile = file.toAbsolutePath().resolveSibling(agentId + ".key");
        try {
            Files.createDirectories(keyFile.getParent());
            Files.writeString(keyFile, credential.encodedKey() + "\n");
            Files.setPosixFilePermissions(
                    keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + keyFile, e);
        }
        final String yaml = """
                # The hitl MCP gateway in front of the reference filesystem MCP server (written by the
                # local stack). Point an MCP client at: java -jar mcp-gateway/target/hitl-mcp-gateway-*-runner.jar <this file>
                agent:
                  id: %s
                  onBehalfOf: alice@example.com
                  credential: {id: %s, keyFile: %s}
                hitl:
                  kafka:
                    bootstrap.servers: %s
                  schemaRegistryUrl: %s
                  decisionKeys:
                    file: %s
                decisionTimeout: %ds
                progressInterval: %ds
                upstreams:
                  - name: files
                    stdio:
                      command: %s
                      args: [%s]
                    tools:
                      - {match: "read_*", actionType: file.read, target: path}
                      - {match: "list_*", actionType: file.list, target: path}
                      - {match: "directory_tree", actionType: file.list, target: path}
                      - {match: "search_files", actionType: file.list, target: path}
                      - {match: "get_file_info", actionType: file.read, target: path}
                      - {match: "write_file", actionType: file.write, target: path}
                      - {match: "edit_file", actionType: file.write, target: path}
                      - {match: "create_directory", actionType: file.create, target: path}
                      - {match: "move_file", actionType: file.move, target: source}
                """.formatted(
                        agentId,
                        credential.credentialId(),
                        quote(keyFile.toString()),
                        bootstrapServers,
                        registryUrl,
                        quote(decisionKeys.toString()),
                        decisionTimeout.toSeconds(),
                        Math.max(1, progressInterval.toSeconds()),
                        quote(server.get(0)),
                        String.join(
                                ", ",
                                server.subList(1, server.size()).stream()
                                        .map(McpGatewayDemo::quote)
                                        .toList()));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /**
     * Starts the demo MCP agent: the gateway as its stdio MCP server, then a read and a write.
     *
     * @param gatewayJar the gateway's runnable jar
     * @param config the gateway's configuration ({@link #writeConfig})
     * @param files the directory the filesystem server may touch
     * @param out where the agent tells what happens
     * @return the demo, running
     */
    public static McpGatewayDemo start(
            final Path gatewayJar, final Path config, final Path files, final PrintStream out) {
        try {
            Files.writeString(
                    files.resolve("welcome.txt"), "Welcome to hitl. Every tool call of an agent goes through it.\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        final StdioClientTransport transport = new StdioClientTransport(
                ServerParameters.builder(Path.of(System.getProperty("java.home"), "bin", "java")
                                .toString())
                        .args("-jar", gatewayJar.toString(), config.toString())
                        .build(),
                McpJsonDefaults.getMapper());
        transport.setStdErrorHandler(line -> {}); // the gateway's log; its own lines go to the stack's logs
        final McpSyncClient client = McpClient.sync(transport)
                .clientInfo(new McpSchema.Implementation("hitl-demo-mcp-agent", "0.1.0"))
                .requestTimeout(Duration.ofMinutes(35))
                .initializationTimeout(Duration.ofMinutes(2))
                .build();
        final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        final Thread agent = new Thread(
                () -> {
                    try {
                        client.initialize();
                        show(
                                out,
                                "read welcome.txt",
                                client.callTool(new McpSchema.CallToolRequest(
                                        "read_text_file",
                                        Map.of(
                                                "path",
                                                files.resolve("welcome.txt").toString()),
                                        Map.of("dev.hitl/confidence", 0.9))));
                        out.println("hitl mcp demo: write_file summary.txt is waiting for a senior reviewer in the UI"
                                + " (sign in as senior / senior)");
                        show(
                                out,
                                "write summary.txt",
                                client.callTool(new McpSchema.CallToolRequest(
                                        "write_file",
                                        Map.of(
                                                "path",
                                                files.resolve("summary.txt").toString(),
                                                "content",
                                                "Summary written by the demo MCP agent after approval.\n"),
                                        Map.of("dev.hitl/confidence", 0.9))));
                    } catch (RuntimeException e) {
                        if (!closing.get()) { // the stack stopping ends the gateway's session: not news
                            out.println("hitl mcp demo: stopped: " + e.getMessage());
                        }
                    }
                },
                "mcp-demo-agent");
        agent.setDaemon(true);
        agent.start();
        return new McpGatewayDemo(client, agent, closing);
    }

    private static void show(final PrintStream out, final String what, final McpSchema.CallToolResult result) {
        final String text = Optional.ofNullable(result.content()).orElse(List.of()).stream()
                .filter(McpSchema.TextContent.class::isInstance)
                .map(c -> ((McpSchema.TextContent) c).text())
                .findFirst()
                .orElse("");
        out.println("hitl mcp demo: " + what + " -> " + (Boolean.TRUE.equals(result.isError()) ? "refused: " : "ran: ")
                + (text.length() > 200 ? text.substring(0, 200) + "…" : text.strip()));
    }

    private static String quote(final String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public void close() {
        closing.set(true);
        try {
            client.closeGracefully();
        } catch (RuntimeException e) {
            // the gateway may be gone already
        }
        agent.interrupt();
    }
}
