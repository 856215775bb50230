package dev.hitl.approval.api;

import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;

/**
 * The reviewers' JSON API ({@code /api}, bearer JWT) and its limits. Its endpoints: {@link
 * RequestsController} (the inbox of the reviewer's groups, page by page, and one request with its
 * full context), {@link VotesController} (votes and batch votes) and {@link MeController} (who the
 * reviewer is, their own votes). What a reviewer may see comes from {@link RequestService}; every
 * vote, the web UI's too, is checked and published by {@link VoteService}. Its request and response
 * bodies are the records of this package ({@link Summary}, {@link Detail}, {@link VoteCommand},
 * {@link Recorded}, ...); refusals are problem details ({@link Problem}).
 */
public final class ReviewApi {

    /** Longest reason accepted, in characters: the agent gets it as feedback, not an essay. */
    public static final int MAX_REASON_CHARS = 10_000;

    /**
     * Longest modified arguments accepted, in characters: the classifier's limit on a whole proposal
     * (262,144 bytes), so that the vote and the decision carrying them fit in a Kafka record.
     */
    public static final int MAX_MODIFIED_ARGUMENTS_CHARS = 262_144;

    /** Page length of the inbox list when the client does not say. */
    public static final int DEFAULT_PAGE = 100;

    /** Longest page of the inbox list. */
    public static final int MAX_PAGE = 1000;

    private ReviewApi() {}

    /** @return 400 for a page size out of range */
    static <T> HttpResponse<T> badLimit(final int size) {
        return Problem.of(
                HttpStatus.BAD_REQUEST,
                "bad-limit",
                "Page size out of range",
                "limit must be between 1 and " + MAX_PAGE + ", not " + size + ".");
    }
}
