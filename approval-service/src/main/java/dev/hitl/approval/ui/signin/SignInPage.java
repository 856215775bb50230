package dev.hitl.approval.ui.signin;

import dev.hitl.approval.ui.Page;
import java.util.List;

/**
 * The sign-in page: a button for each identity provider, and the password form where local accounts
 * exist.
 *
 * @param error what went wrong at the last attempt, or null
 * @param username the user name typed, or null
 * @param loginToken the sign-in form's CSRF token
 * @param next where to go after signing in (a checked path of the UI), or null
 * @param providers the identity providers to offer, if any
 * @param passwordForm whether to show the password form (only where local accounts are configured)
 */
public record SignInPage(
        String error,
        String username,
        String loginToken,
        String next,
        List<SignInProvider> providers,
        boolean passwordForm)
        implements Page {

    @Override
    public String template() {
        return "signin/login.jte";
    }
}
