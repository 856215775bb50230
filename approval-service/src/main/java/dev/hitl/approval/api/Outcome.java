package dev.hitl.approval.api;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;

/**
 * What a reviewer's call came to: a value, or a problem detail saying why not (with its HTTP
 * status). The JSON API answers it as it is; the web UI shows the problem on its page.
 *
 * @param value the value, when there is no problem
 * @param problem why there is no value, or null
 * @param <T> the value's type
 */
public record Outcome<T>(@Nullable T value, @Nullable Problem problem) {

    /**
     * @param value the value
     * @param <T> its type
     * @return the outcome
     */
    public static <T> Outcome<T> of(final T value) {
        return new Outcome<>(value, null);
    }

    /**
     * @param status the HTTP status
     * @param kind a short kind, e.g. {@code not-in-group}
     * @param title the kind, in words
     * @param detail this occurrence, in words
     * @param <T> the value's type
     * @return the refusal
     */
    public static <T> Outcome<T> refused(
            final HttpStatus status, final String kind, final String title, final String detail) {
        return new Outcome<>(null, Problem.create(status, kind, title, detail));
    }

    /** @return whether it was refused (then {@link #problem} says why) */
    public boolean isRefused() {
        return problem != null;
    }

    /**
     * @param status the status of a value
     * @return the value with that status, or the problem detail with its own
     */
    public HttpResponse<T> response(final HttpStatus status) {
        return problem == null ? HttpResponse.<T>status(status).body(value) : problem.response();
    }
}
