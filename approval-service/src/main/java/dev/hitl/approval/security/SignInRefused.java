package dev.hitl.approval.security;

import io.micronaut.security.authentication.AuthenticationFailed;

/**
 * The answer to a sign-in attempt the {@link SignInThrottle} refused: the password was not checked.
 * The JSON sign-in ({@code POST /login}, {@link ThrottlingLoginHandler}) answers it with 429 and
 * {@code Retry-After}; the web UI's form shows {@link #sentence()}.
 */
public final class SignInRefused extends AuthenticationFailed {

    private static final long serialVersionUID = 1L;

    private final transient SignInThrottle.Refusal refusal;

    /** @param refusal why */
    public SignInRefused(final SignInThrottle.Refusal refusal) {
        super(sentence(refusal));
        this.refusal = refusal;
    }

    /** @return why the attempt was refused */
    public SignInThrottle.Refusal refusal() {
        return refusal;
    }

    /** @return the seconds to wait, for {@code Retry-After} */
    public long retryAfterSeconds() {
        return refusal.retryAfterSeconds();
    }

    /** @return what the person signing in reads */
    public String sentence() {
        return sentence(refusal);
    }

    private static String sentence(final SignInThrottle.Refusal refusal) {
        final String who = refusal.scope() == SignInThrottle.Scope.ACCOUNT ? "this account" : "your network address";
        final String wait = inWords(refusal.retryAfterSeconds());
        return refusal.locked()
                ? "Too many failed sign-in attempts for " + who + ": sign-in is locked for " + wait
                        + ". Try again then."
                : "Too many failed sign-in attempts for " + who + ": wait " + wait + " before trying again.";
    }

    /** @return the wait in words: seconds under two minutes, else minutes (rounded up) */
    static String inWords(final long seconds) {
        if (seconds < 120) {
            return seconds + (seconds == 1 ? " second" : " seconds");
        }
        final long minutes = (seconds + 59) / 60;
        return minutes + " minutes";
    }

    /** @return the wait as the {@code Retry-After} header's value */
    public String retryAfterHeader() {
        return Long.toString(retryAfterSeconds());
    }
}
