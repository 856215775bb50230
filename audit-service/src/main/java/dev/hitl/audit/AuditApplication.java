package dev.hitl.audit;

import io.micronaut.runtime.Micronaut;

/** Starts the audit service. */
public final class AuditApplication {

    private AuditApplication() {}

    /** @param args command-line arguments, passed to Micronaut */
    public static void main(final String[] args) {
        Micronaut.build(args).mainClass(AuditApplication.class).start();
    }
}
