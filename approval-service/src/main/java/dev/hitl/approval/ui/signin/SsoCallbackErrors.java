package dev.hitl.approval.ui.signin;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider's token endpoint refusing the code during a single sign-on callback (a code without
 * its PKCE verifier, already redeemed, expired, or issued for another redirect URI): the sign-in page
 * with 401, no session, like every other refused callback ({@link SsoLoginHandler}). Micronaut
 * Security lets that refusal escape as an HTTP client error, which would otherwise be a 500. Outside
 * {@code /oauth/callback/} such an error stays a 500 problem detail.
 */
@Singleton
@Produces
@Requires(property = "hitl.approval.sso.enabled", value = "true")
public class SsoCallbackErrors implements ExceptionHandler<HttpClientResponseException, HttpResponse<?>> {

    private static final Logger LOG = LoggerFactory.getLogger(SsoCallbackErrors.class);

    private final SignInForms forms;
    private final ErrorResponseProcessor<?> errors;

    /**
     * @param forms the sign-in page
     * @param errors the service's problem details, for errors elsewhere
     */
    public SsoCallbackErrors(final SignInForms forms, final ErrorResponseProcessor<?> errors) {
        this.forms = forms;
        this.errors = errors;
    }

    @Override
    public HttpResponse<?> handle(final HttpRequest request, final HttpClientResponseException exception) {
        if (!request.getPath().startsWith("/oauth/callback/")) {
            LOG.error("Unexpected error", exception);
            return errors.processResponse(
                    ErrorContext.builder(request)
                            .cause(exception)
                            .errorMessage("Internal Server Error")
                            .build(),
                    HttpResponse.serverError());
        }
        LOG.warn(
                "Single sign-on refused: the provider's token endpoint answered {} ({})",
                exception.getStatus().getCode(),
                String.valueOf(exception.getMessage()).replaceAll("\\p{Cntrl}", "?"));
        return forms.page(
                request,
                HttpStatus.UNAUTHORIZED,
                "Signing in with your identity provider did not succeed. Please try again.",
                null,
                null);
    }
}
