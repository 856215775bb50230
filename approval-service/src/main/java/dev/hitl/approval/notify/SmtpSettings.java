package dev.hitl.approval.notify;

import io.micronaut.context.annotation.ConfigurationProperties;

/** The mail server for e-mail notifications ({@code hitl.approval.notifications.smtp.*}). */
@ConfigurationProperties("hitl.approval.notifications.smtp")
public class SmtpSettings {

    private String host;
    private int port = 25;
    private String from = "hitl@localhost";
    private String username;
    private String password;
    private boolean starttls = true;

    /** @return the SMTP host; no e-mail is sent without one */
    public String getHost() {
        return host;
    }

    /** @param host the SMTP host */
    public void setHost(final String host) {
        this.host = host;
    }

    /** @return the SMTP port */
    public int getPort() {
        return port;
    }

    /** @param port the SMTP port */
    public void setPort(final int port) {
        this.port = port;
    }

    /** @return the sender address */
    public String getFrom() {
        return from;
    }

    /** @param from the sender address */
    public void setFrom(final String from) {
        this.from = from;
    }

    /** @return the user name to authenticate with, or null for none */
    public String getUsername() {
        return username;
    }

    /** @param username the user name to authenticate with */
    public void setUsername(final String username) {
        this.username = username;
    }

    /** @return the password to authenticate with */
    public String getPassword() {
        return password;
    }

    /** @param password the password to authenticate with */
    public void setPassword(final String password) {
        this.password = password;
    }

    /** @return whether STARTTLS is required (on by default) */
    public boolean isStarttls() {
        return starttls;
    }

    /** @param starttls whether STARTTLS is required */
    public void setStarttls(final boolean starttls) {
        this.starttls = starttls;
    }

    /** @return whether a mail server is configured */
    public boolean configured() {
        return host != null && !host.isBlank();
    }
}
