package dev.hitl.mcp.config;

/** A configuration file the gateway refuses, with the line and the field at fault. */
public final class GatewayConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, where */
    public GatewayConfigException(final String message) {
        super(message);
    }
}
