package dev.hitl.approval.notify;

import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.annotation.Parameter;
import java.util.List;

/**
 * Where a reviewer group hears of new requests ({@code hitl.approval.notifications.groups.<group>.*}):
 * a Slack-compatible webhook and/or e-mail addresses.
 */
@EachProperty("hitl.approval.notifications.groups")
public class GroupNotificationSettings {

    private final String group;
    private String webhookUrl;
    private List<String> emailTo = List.of();
    private boolean slackButtons = true;

    /** @param group the reviewer group (the key under {@code groups}) */
    public GroupNotificationSettings(@Parameter final String group) {
        this.group = group;
    }

    /** @return the reviewer group */
    public String getGroup() {
        return group;
    }

    /** @return the webhook to POST to, or null */
    public String getWebhookUrl() {
        return webhookUrl;
    }

    /** @param webhookUrl the webhook to POST to */
    public void setWebhookUrl(final String webhookUrl) {
        this.webhookUrl = webhookUrl;
    }

    /** @return the addresses to mail */
    public List<String> getEmailTo() {
        return emailTo;
    }

    /** @param emailTo the addresses to mail */
    public void setEmailTo(final List<String> emailTo) {
        this.emailTo = emailTo == null ? List.of() : List.copyOf(emailTo);
    }

    /**
     * @return whether the webhook's message carries Slack's Approve and Reject buttons, when Slack
     *     interactivity is configured ({@code hitl.approval.slack.*}); true unless turned off, e.g.
     *     for a webhook of another chat or of a Slack app whose interactivity does not point here
     */
    public boolean isSlackButtons() {
        return slackButtons;
    }

    /** @param slackButtons whether the webhook's message carries Slack's buttons */
    public void setSlackButtons(final boolean slackButtons) {
        this.slackButtons = slackButtons;
    }
}
