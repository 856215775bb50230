package dev.hitl.mcp.http;

import dev.hitl.mcp.config.GatewayConfig;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * An embedded Tomcat serving the MCP SDK's streamable HTTP servlet at {@code serve.path}, every path
 * behind the {@link AgentFilter}, on {@code serve.host:serve.port} (127.0.0.1 unless configured).
 */
public final class HttpGatewayServer implements AutoCloseable {

    private final Tomcat tomcat;
    private final Connector connector;

    private HttpGatewayServer(final Tomcat tomcat, final Connector connector) {
        this.tomcat = tomcat;
        this.connector = connector;
    }

    /**
     * @param serve where to listen
     * @param mcp the MCP SDK's streamable HTTP servlet
     * @param filter authenticates agents before the servlet sees anything
     * @return the started server
     * @throws IOException when it cannot listen
     */
    public static HttpGatewayServer start(
            final GatewayConfig.Serve serve, final HttpServlet mcp, final AgentFilter filter) throws IOException {
        final Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("hitl-mcp-gateway-http").toString());
        final Connector connector = new Connector();
        connector.setPort(serve.port());
        connector.setProperty("address", serve.host());
        connector.setXpoweredBy(false);
        tomcat.getService().addConnector(connector);
        tomcat.setConnector(connector);
        final Context context = tomcat.addContext("", null);
        final Wrapper servlet = Tomcat.addServlet(context, "mcp", mcp);
        servlet.setAsyncSupported(true);
        context.addServletMappingDecoded(serve.path(), "mcp");
        final FilterDef def = new FilterDef();
        def.setFilterName("agents");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        final FilterMap map = new FilterMap();
        map.setFilterName("agents");
        map.addURLPattern("/*");
        context.addFilterMap(map);
        try {
            tomcat.start();
        } catch (LifecycleException e) {
            throw new IOException(
                    "cannot serve MCP on " + serve.host() + ":" + serve.port() + ": " + e.getMessage(), e);
        }
        if (connector.getLocalPort() < 0) {
            close(tomcat);
            throw new IOException("cannot listen on " + serve.host() + ":" + serve.port());
        }
        return new HttpGatewayServer(tomcat, connector);
    }

    /** @return the port it listens on */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        close(tomcat);
    }

    private static void close(final Tomcat tomcat) {
        try {
            tomcat.stop();
            tomcat.destroy();
        } catch (LifecycleException e) {
            // stopping anyway
        }
    }
}
