package dev.hitl.approval;

import io.micronaut.runtime.Micronaut;

/** Starts the approval service. */
public final class ApprovalApplication {

    private ApprovalApplication() {}

    /** @param args command-line arguments, passed to Micronaut */
    public static void main(final String[] args) {
        Micronaut.build(args).mainClass(ApprovalApplication.class).start();
    }
}
