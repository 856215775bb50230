package dev.hitl.schemaregistry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;

import java.util.ArrayList;

import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stand-in for the {@code apicurio-common-app-components-config-index} Quarkus extension, whose
 * deployment artifact is not published on Maven Central (so the extension is excluded in the POM).
 *
 * <p>That extension produces, at build time, the list of "dynamic" (runtime-editable through the
 * admin API) configuration properties. {@code DynamicConfigPropertyIndexImpl} injects it. An empty
 * list means no property can be changed at runtime through {@code /apis/registry/v2/admin/config};
 * every property keeps its static value from application.properties / system properties, which is
 * all this embedded, in-memory registry needs.
 */
@Singleton
public class EmptyDynamicConfigPropertyList {

    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(new ArrayList<>());
    }
}
