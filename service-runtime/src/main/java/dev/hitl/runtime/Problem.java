package dev.hitl.runtime;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * An RFC 9457 problem detail, with the fields at fault for a 422.
 *
 * @param type a URI naming the kind of problem
 * @param title the kind of problem, in words
 * @param status the HTTP status
 * @param detail this occurrence, in words
 * @param errors each field at fault and what is wrong with it (empty unless the input is invalid)
 */
@Serdeable
public record Problem(String type, String title, int status, String detail, List<FieldError> errors) {

    /** The media type of problem details. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /**
     * @param field the field at fault: its JSON name, with {@code [i]} for an entry of a list
     * @param message what is wrong, and what is expected
     */
    @Serdeable
    public record FieldError(String field, String message) {}

    /**
     * @param status the HTTP status
     * @param kind a short kind, e.g. {@code invalid-registration}
     * @param title the kind, in words
     * @param detail this occurrence, in words
     * @param errors the fields at fault
     * @return the response
     */
    public static MutableHttpResponse<Problem> of(
            final HttpStatus status,
            final String kind,
            final String title,
            final String detail,
            final List<FieldError> errors) {
        return HttpResponse.<Problem>status(status)
                .contentType(MediaType.of(MEDIA_TYPE))
                .body(new Problem("https://hitl.dev/problems/" + kind, title, status.getCode(), detail, errors));
    }

    /**
     * @param status the HTTP status
     * @param kind a short kind, e.g. {@code agent-not-registered}
     * @param title the kind, in words
     * @param detail this occurrence, in words
     * @return the response, with no field errors
     */
    public static MutableHttpResponse<Problem> of(
            final HttpStatus status, final String kind, final String title, final String detail) {
        return of(status, kind, title, detail, List.of());
    }

    /**
     * @param refusal why the operator API refuses the caller (see {@link OperatorAuthorization})
     * @return 401 with {@code WWW-Authenticate: Bearer}
     */
    public static MutableHttpResponse<Problem> notAnOperator(final String refusal) {
        return of(HttpStatus.UNAUTHORIZED, "unauthorized", "Not an operator", refusal)
                .header("WWW-Authenticate", "Bearer");
    }

    /**
     * @param kind a short kind, e.g. {@code invalid-registration}
     * @param errors the fields at fault (at least one)
     * @return 422 naming every field at fault
     */
    public static MutableHttpResponse<Problem> invalid(final String kind, final List<FieldError> errors) {
        return of(
                HttpStatus.UNPROCESSABLE_ENTITY,
                kind,
                "The request is invalid",
                errors.size() == 1 ? "1 field is wrong" : errors.size() + " fields are wrong",
                errors);
    }
}
