package dev.hitl.approval.slack;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.env.Environment;
import io.micronaut.core.annotation.Order;
import io.micronaut.core.order.Ordered;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code hitl.approval.slack.*} at start ({@link Context}, early): a half-configured Slack, an
 * unreadable secret file or Slack's example secret outside the local environment stops the service
 * before it touches a topic.
 */
@Factory
public class SlackFactory {

    private static final Logger LOG = LoggerFactory.getLogger(SlackFactory.class);

    /**
     * @param environment the settings
     * @param development whether public example secrets may be used
     * @return the Slack settings ({@link SlackSettings#OFF} when not configured)
     */
    @Context
    @Order(Ordered.HIGHEST_PRECEDENCE)
    SlackSettings slackSettings(final Environment environment, final DevelopmentMode development) {
        final SlackSettings settings = SlackSettings.from(environment, development);
        if (settings.enabled()) {
            LOG.info(
                    "Slack approvals on: callbacks at POST /slack/interactions, {} Slack users mapped to reviewers,"
                            + " Web API {}",
                    settings.users().size(),
                    settings.apiUrl());
        }
        return settings;
    }
}
