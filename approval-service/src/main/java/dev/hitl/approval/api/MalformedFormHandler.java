package dev.hitl.approval.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import jakarta.inject.Singleton;

/**
 * A form body that is not valid {@code application/x-www-form-urlencoded} (e.g. {@code %ZZ}) is the
 * client's mistake: 400 with a problem detail, not the 500 Netty's decoder error would otherwise
 * become.
 */
@Produces
@Singleton
@Requires(classes = {HttpPostRequestDecoder.ErrorDataDecoderException.class, ExceptionHandler.class})
public class MalformedFormHandler
        implements ExceptionHandler<HttpPostRequestDecoder.ErrorDataDecoderException, HttpResponse<?>> {

    @Override
    public HttpResponse<?> handle(
            final HttpRequest request, final HttpPostRequestDecoder.ErrorDataDecoderException exception) {
        return Problem.of(
                HttpStatus.BAD_REQUEST,
                "malformed-form",
                "The form could not be read",
                "The body is not valid application/x-www-form-urlencoded data (a '%' must start a two-digit"
                        + " hex escape).");
    }
}
