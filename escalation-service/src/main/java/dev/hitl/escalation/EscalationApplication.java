package dev.hitl.escalation;

import io.micronaut.runtime.Micronaut;

/** Starts the escalation service. */
public final class EscalationApplication {

    private EscalationApplication() {}

    /** @param args command-line arguments, passed to Micronaut */
    public static void main(final String[] args) {
        Micronaut.build(args).mainClass(EscalationApplication.class).start();
    }
}
