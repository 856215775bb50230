package dev.hitl.approval.slack;

import dev.hitl.approval.security.ReviewerSettings;
import io.micronaut.security.authentication.Authentication;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Who a Slack user is here: {@code hitl.approval.slack.users.<TEAM>/<USER>} names the reviewer, and
 * the reviewer's groups are their local account's ({@code hitl.approval.users.<name>.groups}, as
 * for a password sign-in) or, for a reviewer who signs in through single sign-on and has no local
 * account, {@code hitl.approval.slack.groups.<name>}. The result is the same {@link Authentication}
 * a signed-in reviewer has, so a vote from Slack goes through every check of a vote in the UI.
 */
@Singleton
public class SlackReviewers {

    private final SlackSettings settings;
    private final Map<String, ReviewerSettings> accounts;

    /**
     * @param settings the Slack settings (the user mapping, groups)
     * @param accounts the local accounts
     */
    public SlackReviewers(final SlackSettings settings, final List<ReviewerSettings> accounts) {
        this.settings = settings;
        this.accounts =
                accounts.stream().collect(Collectors.toUnmodifiableMap(ReviewerSettings::getName, a -> a, (a, b) -> a));
    }

    /**
     * @param team the Slack team (workspace) id
     * @param user the Slack user id
     * @return the reviewer with their groups, or empty when the user is not mapped or the reviewer
     *     has no groups
     */
    public Optional<Authentication> reviewer(final String team, final String user) {
        return settings.reviewer(team, user).flatMap(name -> {
            final ReviewerSettings account = accounts.get(name);
            final List<String> groups =
                    account != null ? account.getGroups() : settings.groups().getOrDefault(name, List.of());
            if (groups.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(Authentication.build(name, groups, Map.of("groups", groups)));
        });
    }
}
