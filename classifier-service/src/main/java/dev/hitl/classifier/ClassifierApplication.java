package dev.hitl.classifier;

import io.micronaut.runtime.Micronaut;

/** Starts the classifier service. */
public final class ClassifierApplication {

    private ClassifierApplication() {}

    /** @param args command-line arguments, passed to Micronaut */
    public static void main(final String[] args) {
        Micronaut.build(args).mainClass(ClassifierApplication.class).start();
    }
}
