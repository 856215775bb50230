package dev.hitl.approval;

import dev.hitl.approval.security.sso.SsoEnvironment;
import io.micronaut.runtime.Micronaut;
import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.info.Info;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;

/** Starts the approval service. */
@OpenAPIDefinition(
        info =
                @Info(
                        title = "hitl-approval-service",
                        version = "0.1",
                        description =
                                "The reviewers' JSON API of hitl: the inbox of open approval requests, one request with"
                                        + " its full context, votes (approve, reject, modify), batch votes and the reviewer's own"
                                        + " history. Sign in with POST /login, then send the token as a bearer token. Errors are"
                                        + " RFC 9457 problem details."),
        security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(name = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer", bearerFormat = "JWT")
public final class ApprovalApplication {

    private ApprovalApplication() {}

    /**
     * @param args command-line arguments, passed to Micronaut
     * @throws io.micronaut.context.exceptions.ConfigurationException when single sign-on is
     *     half-configured ({@link SsoEnvironment})
     */
    public static void main(final String[] args) {
        Micronaut.build(args)
                .mainClass(ApprovalApplication.class)
                // Single sign-on from the HITL_OIDC_* environment (none: off).
                .properties(SsoEnvironment.properties(System.getenv()))
                .start();
    }
}
