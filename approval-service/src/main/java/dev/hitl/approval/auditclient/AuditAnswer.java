package dev.hitl.approval.auditclient;

/**
 * What the audit service answered: a value, or why there is none (in words a page can show).
 *
 * @param value the answer, or null
 * @param problem why there is no answer, or null
 * @param <T> the answer's type
 */
public record AuditAnswer<T>(T value, String problem) {

    /**
     * @param value the answer
     * @param <T> its type
     * @return an answer
     */
    public static <T> AuditAnswer<T> of(final T value) {
        return new AuditAnswer<>(value, null);
    }

    /**
     * @param problem why there is no answer
     * @param <T> the type there would have been
     * @return no answer
     */
    public static <T> AuditAnswer<T> failed(final String problem) {
        return new AuditAnswer<>(null, problem);
    }

    /** @return whether there is a value */
    public boolean ok() {
        return value != null;
    }
}
