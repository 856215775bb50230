package dev.hitl.classifier.policy;

import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.OperatorAuthorization;
import dev.hitl.schemas.PolicyDocument;
import io.micronaut.context.annotation.Context;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import java.util.List;
import java.util.Map;

/**
 * The policy API: see the version in force, and publish a new one. A document that does not
 * validate is refused with HTTP 422 and every problem (line, column, field, message); nothing is
 * published and the running policy stays. Only an operator may publish (their own bearer token,
 * {@link OperatorAuthorization}); the publication records that operator's name, never a header.
 *
 * <p>Made at start ({@code @Context}), so a malformed operator setting stops the service then,
 * not at the first operator request.
 */
@Context
@Controller("/policy")
@ExecuteOn(TaskExecutors.BLOCKING)
public class PolicyController {

    private final PolicySource source;
    private final PolicyPublisher publisher;
    private final OperatorAuthorization operators;

    /**
     * @param source the policy in force
     * @param publisher publishes to {@code hitl.policy}
     * @param operators who may publish, and under which name
     */
    public PolicyController(
            final PolicySource source, final PolicyPublisher publisher, final OperatorAuthorization operators) {
        this.source = source;
        this.publisher = publisher;
        this.operators = operators;
    }

    /** @return the policy in force in this instance */
    @Get(produces = MediaType.APPLICATION_JSON)
    public InForce inForce() {
        final Policy policy = source.current().policy();
        return new InForce(policy.name(), policy.version(), policy.sha256());
    }

    /**
     * @param yaml the new policy document
     * @param authorization the publishing operator's token ({@code Authorization: Bearer ...}): the
     *     operator it names is recorded as {@code publishedBy}; an {@code X-Hitl-Actor} header is
     *     ignored
     * @return 202 with the published version, 401 without an operator's token, or 422 with the
     *     problems
     */
    @Post(
            consumes = {"application/yaml", "text/yaml", MediaType.TEXT_PLAIN},
            produces = MediaType.APPLICATION_JSON)
    public HttpResponse<?> publish(
            @Body final String yaml, @Header(value = "Authorization", defaultValue = "") final String authorization) {
        final OperatorAuthorization.Authentication operator = operators.authenticate(authorization);
        if (!operator.isAuthenticated()) {
            return HttpResponse.unauthorized()
                    .header("WWW-Authenticate", "Bearer")
                    .body(new Refused(operator.refusal(), List.of()));
        }
        try {
            final Policy policy = PolicyParser.parse(yaml);
            if (!policy.name().equals(source.name())) {
                return HttpResponse.status(HttpStatus.UNPROCESSABLE_ENTITY)
                        .body(new Refused(
                                "This classifier applies policy '" + source.name() + "', not '" + policy.name() + "'",
                                List.of()));
            }
            final PolicyDocument published =
                    publisher.publish(policy, operator.operator().name());
            return HttpResponse.accepted()
                    .body(new Published(
                            published.getName(),
                            published.getVersion(),
                            published.getSha256(),
                            published.getPublishedBy()));
        } catch (PolicyException e) {
            return HttpResponse.status(HttpStatus.UNPROCESSABLE_ENTITY)
                    .body(new Refused(
                            "The policy is refused",
                            e.problems().stream()
                                    .map(p -> Map.<String, Object>of(
                                            "line",
                                            p.line(),
                                            "column",
                                            p.column(),
                                            "field",
                                            p.field(),
                                            "message",
                                            p.message()))
                                    .toList()));
        }
    }

    /**
     * @param name the policy's name
     * @param version its version
     * @param sha256 the hash of its YAML
     */
    @Serdeable
    public record InForce(String name, String version, String sha256) {}

    /**
     * @param name the policy's name
     * @param version the version published
     * @param sha256 the hash of its YAML
     * @param publishedBy the authenticated operator recorded as its publisher
     */
    @Serdeable
    public record Published(String name, String version, String sha256, String publishedBy) {}

    /**
     * @param title what happened
     * @param problems each problem: line, column, field, message
     */
    @Serdeable
    public record Refused(String title, List<Map<String, Object>> problems) {}
}
