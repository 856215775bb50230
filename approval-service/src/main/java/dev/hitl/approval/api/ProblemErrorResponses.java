package dev.hitl.approval.api;

import io.micronaut.context.annotation.Primary;
import io.micronaut.core.annotation.NonNull;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.Error;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The framework's own errors (a body that is not JSON, an unknown enum symbol, a missing route, a
 * wrong method or media type) as the same RFC 9457 problem details the API's own refusals use, so
 * a client reads every error one way.
 */
@Primary
@Singleton
public class ProblemErrorResponses implements ErrorResponseProcessor<Problem> {

    /** Longest detail given: the framework's messages can quote the client's input back. */
    private static final int MAX_DETAIL = 500;

    @Override
    @NonNull
    public MutableHttpResponse<Problem> processResponse(
            @NonNull final ErrorContext context, @NonNull final MutableHttpResponse<?> response) {
        final HttpStatus status = response.getStatus();
        String detail = context.getErrors().stream()
                .map(Error::getMessage)
                .filter(m -> m != null && !m.isBlank())
                .collect(Collectors.joining("; "));
        if (detail.isEmpty()) {
            detail = status.getReason();
        } else if (detail.length() > MAX_DETAIL) {
            detail = detail.substring(0, MAX_DETAIL) + "…";
        }
        final String kind = status.getReason().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        return response.contentType(MediaType.of(Problem.MEDIA_TYPE))
                .body(new Problem("https://hitl.dev/problems/" + kind, status.getReason(), status.getCode(), detail));
    }
}
