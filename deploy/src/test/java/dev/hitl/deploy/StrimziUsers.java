package dev.hitl.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The Strimzi {@code KafkaUser} resources of a manifest, translated into the Kafka ACLs the Strimzi
 * user operator creates for them ({@code authorization: simple}): principal {@code User:<name>},
 * one ALLOW (or DENY) binding per operation, host {@code *} unless given. Strict: a field or value
 * this translation does not know fails, so nothing in the manifest is silently left out.
 */
final class StrimziUsers {

    private static final Set<String> RULE_KEYS = Set.of("resource", "operations", "operation", "host", "type");
    private static final Set<String> RESOURCE_KEYS = Set.of("type", "name", "patternType");

    private StrimziUsers() {}

    /**
     * @param manifest a YAML file of Kubernetes resources
     * @return the ACLs of each {@code KafkaUser} with SCRAM-SHA-512 authentication, by user name, in file order
     * @throws IOException when the file cannot be read
     */
    @SuppressWarnings("unchecked")
    static Map<String, List<AclBinding>> acls(final Path manifest) throws IOException {
        final Map<String, List<AclBinding>> users = new LinkedHashMap<>();
        for (final Object document : new Yaml(new LoaderOptions()).loadAll(Files.readString(manifest))) {
            if (!(document instanceof Map<?, ?> resource) || !"KafkaUser".equals(resource.get("kind"))) {
                continue;
            }
            final String name = (String) ((Map<String, Object>) resource.get("metadata")).get("name");
            final Map<String, Object> spec = (Map<String, Object>) resource.get("spec");
            final Map<String, Object> authentication = (Map<String, Object>) spec.get("authentication");
            require("scram-sha-512".equals(authentication.get("type")), name, "authentication " + authentication);
            final Map<String, Object> authorization = (Map<String, Object>) spec.get("authorization");
            require("simple".equals(authorization.get("type")), name, "authorization " + authorization);
            final List<AclBinding> bindings = new ArrayList<>();
            for (final Map<String, Object> rule : (List<Map<String, Object>>) authorization.get("acls")) {
                bindings.addAll(bindings(name, rule));
            }
            users.put(name, List.copyOf(bindings));
        }
        return users;
    }

    @SuppressWarnings("unchecked")
    private static List<AclBinding> bindings(final String user, final Map<String, Object> rule) {
        require(RULE_KEYS.containsAll(rule.keySet()), user, "ACL fields " + rule.keySet());
        final Map<String, Object> resource = (Map<String, Object>) rule.get("resource");
        require(RESOURCE_KEYS.containsAll(resource.keySet()), user, "resource fields " + resource.keySet());
        final ResourceType type = switch ((String) resource.get("type")) {
            case "topic" -> ResourceType.TOPIC;
            case "group" -> ResourceType.GROUP;
            case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
            case "cluster" -> ResourceType.CLUSTER;
            default -> throw new IllegalArgumentException(user + ": unknown resource type " + resource);
        };
        final String patternType = (String) resource.getOrDefault("patternType", "literal");
        final PatternType pattern = switch (patternType) {
            case "literal" -> PatternType.LITERAL;
            case "prefix" -> PatternType.PREFIXED;
            default -> throw new IllegalArgumentException(user + ": unknown pattern type " + patternType);
        };
        // Strimzi names the one cluster resource itself.
        final String resourceName = type == ResourceType.CLUSTER ? "kafka-cluster" : (String) resource.get("name");
        require(resourceName != null && !resourceName.isEmpty(), user, "resource without name " + resource);
        final AclPermissionType permission = switch ((String) rule.getOrDefault("type", "allow")) {
            case "allow" -> AclPermissionType.ALLOW;
            case "deny" -> AclPermissionType.DENY;
            default -> throw new IllegalArgumentException(user + ": unknown ACL type " + rule.get("type"));
        };
        final List<String> operations = rule.containsKey("operations")
                ? (List<String>) rule.get("operations")
                : List.of((String) rule.get("operation"));
        final List<AclBinding> bindings = new ArrayList<>();
        for (final String operation : operations) {
            bindings.add(new AclBinding(
                    new ResourcePattern(type, resourceName, pattern),
                    new AccessControlEntry(
                            "User:" + user,
                            (String) rule.getOrDefault("host", "*"),
                            operation(user, operation),
                            permission)));
        }
        return bindings;
    }

    /** Strimzi's operation names ({@code DescribeConfigs}) as Kafka's ({@code DESCRIBE_CONFIGS}). */
    private static AclOperation operation(final String user, final String name) {
        final AclOperation operation;
        try {
            operation = AclOperation.valueOf(
                    name.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(user + ": unknown ACL operation " + name, e);
        }
        require(operation != AclOperation.ANY && operation != AclOperation.UNKNOWN, user, "operation " + name);
        return operation;
    }

    private static void require(final boolean condition, final String user, final String what) {
        if (!condition) {
            throw new IllegalArgumentException("KafkaUser " + user + ": unsupported " + what);
        }
    }
}
