package dev.hitl.approval.notify;

/** A notification that was not delivered this time. */
final class DeliveryException extends Exception {

    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    DeliveryException(final String message, final boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** @return whether another attempt may succeed */
    boolean retryable() {
        return retryable;
    }
}
