package dev.hitl.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test that runs against the real Kafka broker and schema registry. Both are
 * started once per test JVM and shared; a test gets them by declaring a {@link KafkaCluster}
 * parameter (constructor, lifecycle or test method) and isolates itself with {@link
 * KafkaCluster#newNamespace()}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KafkaClusterExtension.class)
public @interface HitlKafka {}
