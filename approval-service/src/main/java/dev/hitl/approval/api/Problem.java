package dev.hitl.approval.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.serde.annotation.Serdeable;

/**
 * An RFC 9457 problem detail: what went wrong, in words a reviewer or a client developer can act
 * on.
 *
 * @param type a URI naming the kind of problem
 * @param title the kind of problem, in words
 * @param status the HTTP status
 * @param detail this occurrence, in words
 */
@Serdeable
public record Problem(String type, String title, int status, String detail) {

    /** The media type of problem details. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /**
     * @param status the HTTP status
     * @param kind a short kind, e.g. {@code not-in-group}
     * @param title the kind, in words
     * @param detail this occurrence, in words
     * @return the problem
     */
    public static Problem create(final HttpStatus status, final String kind, final String title, final String detail) {
        return new Problem("https://hitl.dev/problems/" + kind, title, status.getCode(), detail);
    }

    /**
     * @param status the HTTP status
     * @param kind a short kind, e.g. {@code not-in-group}
     * @param title the kind, in words
     * @param detail this occurrence, in words
     * @param <T> the response body type expected by the caller
     * @return the response
     */
    public static <T> HttpResponse<T> of(
            final HttpStatus status, final String kind, final String title, final String detail) {
        return create(status, kind, title, detail).response();
    }

    /**
     * @param <T> the response body type expected by the caller
     * @return this problem as a response ({@value #MEDIA_TYPE}, its status)
     */
    @SuppressWarnings("unchecked")
    public <T> HttpResponse<T> response() {
        return (HttpResponse<T>) HttpResponse.status(HttpStatus.valueOf(status))
                .contentType(MediaType.of(MEDIA_TYPE))
                .body(this);
    }
}
