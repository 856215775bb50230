package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.deploy.manifests.TopicManifests;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The compose file and the Kubernetes manifests parse, and name exactly the catalogue's topics. */
class DeploymentManifestsTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path COMPOSE = Path.of("compose");
    private final TopicCatalogue catalogue = TopicCatalogue.standard();

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> documents(final Path file) throws IOException {
        final List<Map<String, Object>> documents = new ArrayList<>();
        for (final Object document : new Yaml(new LoaderOptions()).loadAll(Files.readString(file))) {
            if (document != null) {
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    private static List<Map<String, Object>> manifests() throws IOException {
        final List<Map<String, Object>> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (final Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                all.addAll(documents(file));
            }
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(final Map<String, Object> node, final String... path) {
        Object value = node;
        for (final String key : path) {
            if (value == null) {
                return null;
            }
            value = ((Map<String, Object>) value).get(key);
        }
        return (T) value;
    }

    @Test
    void shouldParseEveryManifestAsKubernetesResources() throws IOException {
        final List<Map<String, Object>> manifests = manifests();
        assertThat(manifests).hasSizeGreaterThan(20).allSatisfy(m -> {
            assertThat(m).containsKeys("apiVersion", "kind", "metadata");
        });
        assertThat(manifests)
                .filteredOn(m -> "Deployment".equals(m.get("kind")))
                .extracting(m -> (String) at(m, "metadata", "name"))
                .contains("classifier", "escalation", "approval", "audit", "schema-registry");
    }

    @Test
    void shouldDeclareExactlyTheCatalogueTopicsWithTheirSettings() throws IOException {
        final List<Map<String, Object>> topics = manifests().stream()
                .filter(m -> "KafkaTopic".equals(m.get("kind")))
                .toList();
        assertThat(topics)
                .extracting(t -> (String) at(t, "spec", "topicName"))
                .containsExactlyInAnyOrderElementsOf(
                        catalogue.all().stream().map(Topic::name).toList());
        for (final Topic<?, ?> topic : catalogue.all()) {
            final Map<String, Object> manifest = topics.stream()
                    .filter(t -> topic.name().equals(at(t, "spec", "topicName")))
                    .findFirst()
                    .orElseThrow();
            assertThat((Integer) at(manifest, "spec", "partitions")).isEqualTo(topic.partitions());
            final Map<String, Object> config = at(manifest, "spec", "config");
            topic.config().forEach((key, value) -> assertThat(config).containsEntry(key, value));
        }
    }

    @Test
    void shouldMatchWhatTheGeneratorWritesFromTheCatalogue() throws IOException {
        assertThat(Files.readString(K8S.resolve("20-topics.yaml"))).isEqualTo(TopicManifests.strimziTopics());
        assertThat(Files.readString(COMPOSE.resolve("create-topics.sh")))
                .isEqualTo(TopicManifests.createTopicsScript());
    }

    @Test
    void shouldGrantOnlyCatalogueTopicsAndKeepDecisionsVotesAndTheAuditLogToTheirWriters() throws IOException {
        final Set<String> names =
                new HashSet<>(catalogue.all().stream().map(Topic::name).toList());
        final Map<String, Set<String>> writers = new java.util.HashMap<>();
        for (final Map<String, Object> user : manifests().stream()
                .filter(m -> "KafkaUser".equals(m.get("kind")))
                .toList()) {
            final String userName = at(user, "metadata", "name");
            final List<Map<String, Object>> acls = at(user, "spec", "authorization", "acls");
            for (final Map<String, Object> acl : acls) {
                final Map<String, Object> resource = at(acl, "resource");
                if (!"topic".equals(resource.get("type")) || "prefix".equals(resource.get("patternType"))) {
                    continue;
                }
                assertThat(names).as("topic of %s's ACL", userName).contains((String) resource.get("name"));
                final List<String> operations = at(acl, "operations");
                if (operations.contains("Write") || operations.contains("All")) {
                    writers.computeIfAbsent((String) resource.get("name"), n -> new HashSet<>())
                            .add(userName);
                }
            }
        }
        assertThat(writers.get(catalogue.decisions().name()))
                .containsExactlyInAnyOrder("hitl-classifier", "hitl-escalation");
        assertThat(writers.get(catalogue.auditLog().name())).containsExactly("hitl-audit");
        assertThat(writers.get(catalogue.auditCheckpoints().name())).containsExactly("hitl-audit");
        // The registry is written only through the classifier's operator API.
        assertThat(writers.get(catalogue.agentsRegistry().name())).containsExactly("hitl-classifier");
        assertThat(writers.get(catalogue.approvalsVotes().name()))
                .containsExactlyInAnyOrder("hitl-approval", "reviewer-app-example");
        assertThat(writers.get(catalogue.actionsProposed().name()))
                .containsExactlyInAnyOrder("agent-example", "mcp-gateway-example");
        // The voter registry is written only through the escalation service's operator API, and only
        // the escalation service says which votes it did not count.
        assertThat(writers.get(catalogue.votersRegistry().name())).containsExactly("hitl-escalation");
        assertThat(writers.get(catalogue.approvalsIgnoredVotes().name())).containsExactly("hitl-escalation");
        // Only the escalation service, which holds each open request's deadline, reminds of it.
        assertThat(writers.get(catalogue.approvalsReminders().name())).containsExactly("hitl-escalation");
    }

    @Test
    void shouldLetTheEscalationReadTheVotersAndTheAuditReadTheVotersAndTheIgnoredVotes() throws IOException {
        final Map<String, Set<String>> readers = new java.util.HashMap<>();
        for (final Map<String, Object> user : manifests().stream()
                .filter(m -> "KafkaUser".equals(m.get("kind")))
                .toList()) {
            final List<Map<String, Object>> acls = at(user, "spec", "authorization", "acls");
            for (final Map<String, Object> acl : acls) {
                final Map<String, Object> resource = at(acl, "resource");
                final List<String> operations = at(acl, "operations");
                if ("topic".equals(resource.get("type"))
                        && !"prefix".equals(resource.get("patternType"))
                        && (operations.contains("Read") || operations.contains("All"))) {
                    readers.computeIfAbsent((String) resource.get("name"), n -> new HashSet<>())
                            .add(at(user, "metadata", "name"));
                }
            }
        }
        // The classifier and the approval service read it too: voters' keys authenticate the answers
        // to spot checks.
        assertThat(readers.get(catalogue.votersRegistry().name()))
                .containsExactlyInAnyOrder("hitl-escalation", "hitl-classifier", "hitl-approval", "hitl-audit");
        assertThat(readers.get(catalogue.approvalsIgnoredVotes().name())).containsExactly("hitl-audit");
        // The approval service reads who owns each agent (owners may not approve their agents' actions).
        assertThat(readers.get(catalogue.agentsRegistry().name())).contains("hitl-approval");
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldGiveTheApprovalServiceItsOwnVoterKeyFromASecretNoOtherPodMounts() throws IOException {
        final List<Map<String, Object>> deployments = manifests().stream()
                .filter(m -> "Deployment".equals(m.get("kind")))
                .toList();
        final Map<String, Object> approval = deployments.stream()
                .filter(d -> "approval".equals(at(d, "metadata", "name")))
                .findFirst()
                .orElseThrow();
        final Map<String, Object> container =
                ((List<Map<String, Object>>) at(approval, "spec", "template", "spec", "containers")).get(0);
        final String keyFile = ((List<Map<String, Object>>) container.get("env"))
                .stream()
                        .filter(e -> "HITL_VOTER_KEY_FILE".equals(e.get("name")))
                        .map(e -> (String) e.get("value"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("the approval service has no HITL_VOTER_KEY_FILE"));
        final Map<String, Object> mount = ((List<Map<String, Object>>) container.get("volumeMounts"))
                .stream()
                        .filter(m -> keyFile.startsWith(m.get("mountPath") + "/"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(keyFile + " is on no volume of the approval service"));
        final Map<String, Object> volume = ((List<Map<String, Object>>)
                        at(approval, "spec", "template", "spec", "volumes"))
                .stream()
                        .filter(v -> mount.get("name").equals(v.get("name")))
                        .findFirst()
                        .orElseThrow();
        final String secret = at(volume, "secret", "secretName");
        assertThat(secret)
                .as("the voter key comes from a secret, never a ConfigMap")
                .isNotNull();
        assertThat(deployments)
                .as("pods mounting the approval service's voter key")
                .filteredOn(d -> java.util.Objects.requireNonNullElse(
                                (List<Map<String, Object>>) at(d, "spec", "template", "spec", "volumes"),
                                List.<Map<String, Object>>of())
                        .stream()
                        .anyMatch(v -> v.get("secret") instanceof Map<?, ?> s && secret.equals(s.get("secretName"))))
                .extracting(d -> (String) at(d, "metadata", "name"))
                .containsExactly("approval");

        // The compose file mounts it too, from outside the decision keys' directory (a key made there
        // by bin/hitl-keys joins decisions.jwks.json, which every verifier trusts for decisions).
        final Map<String, Object> compose =
                documents(COMPOSE.resolve("docker-compose.yml")).get(0);
        final String composeKey = at(compose, "services", "approval", "environment", "HITL_VOTER_KEY_FILE");
        assertThat(composeKey).isNotBlank();
        final List<String> volumes = at(compose, "services", "approval", "volumes");
        assertThat(volumes)
                .filteredOn(v -> v.endsWith(":" + composeKey + ":ro"))
                .singleElement()
                .satisfies(v -> assertThat(v).doesNotStartWith("./keys/"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldConfigureTheApprovalServicesSingleSignOnFromAConfigMapAndItsClientSecretFromASecret()
            throws IOException {
        final List<Map<String, Object>> manifests = manifests();
        final Map<String, Object> approval = manifests.stream()
                .filter(m -> "Deployment".equals(m.get("kind")) && "approval".equals(at(m, "metadata", "name")))
                .findFirst()
                .orElseThrow();
        final Map<String, Object> container =
                ((List<Map<String, Object>>) at(approval, "spec", "template", "spec", "containers")).get(0);
        final Map<String, Map<String, Object>> env = new java.util.HashMap<>();
        ((List<Map<String, Object>>) container.get("env")).forEach(e -> env.put((String) e.get("name"), e));
        for (final String setting : List.of(
                "HITL_PUBLIC_URL",
                "HITL_OIDC_ISSUER",
                "HITL_OIDC_CLIENT_ID",
                "HITL_OIDC_SCOPES",
                "HITL_OIDC_GROUPS_CLAIM",
                "HITL_OIDC_GROUPS_PREFIX")) {
            assertThat((String) at(env.get(setting), "valueFrom", "configMapKeyRef", "name"))
                    .as(setting)
                    .isEqualTo("hitl-approval-sso");
        }
        assertThat(env).as("the client secret's text is never configured").doesNotContainKey("HITL_OIDC_CLIENT_SECRET");
        final Map<String, Object> configMap = manifests.stream()
                .filter(m -> "ConfigMap".equals(m.get("kind")) && "hitl-approval-sso".equals(at(m, "metadata", "name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no hitl-approval-sso ConfigMap"));
        assertThat(((Map<String, Object>) configMap.get("data")).keySet())
                .contains("issuer", "client-id", "groups-claim")
                .noneMatch(k -> k.contains("secret"));
        final String secretFile =
                (String) env.get("HITL_OIDC_CLIENT_SECRET_FILE").get("value");
        final Map<String, Object> mount = ((List<Map<String, Object>>) container.get("volumeMounts"))
                .stream()
                        .filter(m -> secretFile.startsWith(m.get("mountPath") + "/"))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(secretFile + " is on no volume of the approval service"));
        final Map<String, Object> volume = ((List<Map<String, Object>>)
                        at(approval, "spec", "template", "spec", "volumes"))
                .stream()
                        .filter(v -> mount.get("name").equals(v.get("name")))
                        .findFirst()
                        .orElseThrow();
        assertThat((String) at(volume, "secret", "secretName"))
                .as("the client secret comes from a secret, never a ConfigMap")
                .isEqualTo("hitl-approval-oidc");
        assertThat(manifests)
                .as("pods mounting the client secret")
                .filteredOn(m -> "Deployment".equals(m.get("kind")))
                .filteredOn(d -> java.util.Objects.requireNonNullElse(
                                (List<Map<String, Object>>) at(d, "spec", "template", "spec", "volumes"),
                                List.<Map<String, Object>>of())
                        .stream()
                        .anyMatch(v -> v.get("secret") instanceof Map<?, ?> sv
                                && "hitl-approval-oidc".equals(sv.get("secretName"))))
                .extracting(d -> (String) at(d, "metadata", "name"))
                .containsExactly("approval");
        // The compose file takes the secret from the operator's environment, like HITL_JWT_SECRET.
        final String composeSecret = at(
                documents(COMPOSE.resolve("docker-compose.yml")).get(0),
                "services",
                "approval",
                "environment",
                "HITL_OIDC_CLIENT_SECRET");
        assertThat(composeSecret).isEqualTo("${HITL_OIDC_CLIENT_SECRET:-}");
    }

    @Test
    void shouldRunTheComposeClusterWithTheCatalogueTopicsAndTwoInstancesOfEachStreamApp() throws IOException {
        final Map<String, Object> compose =
                documents(COMPOSE.resolve("docker-compose.yml")).get(0);
        final Map<String, Object> services = at(compose, "services");
        assertThat(services)
                .containsKeys(
                        "kafka-1",
                        "kafka-2",
                        "kafka-3",
                        "schema-registry",
                        "topics",
                        "classifier",
                        "escalation",
                        "approval",
                        "audit");
        for (final String streamApp : List.of("classifier", "escalation", "audit")) {
            assertThat((Integer) at(services, streamApp, "deploy", "replicas"))
                    .as(streamApp)
                    .isEqualTo(2);
            assertThat((Map<String, Object>) at(services, streamApp, "healthcheck"))
                    .isNotEmpty();
        }
        final Matcher created =
                Pattern.compile("--topic (\\S+)").matcher(Files.readString(COMPOSE.resolve("create-topics.sh")));
        final List<String> topics = new ArrayList<>();
        while (created.find()) {
            topics.add(created.group(1));
        }
        assertThat(topics)
                .containsExactlyInAnyOrderElementsOf(
                        catalogue.all().stream().map(Topic::name).toList());
    }

    /**
     * The services refuse to start with a development secret outside the local environment, so the
     * manifests must give each one what production needs, and never switch the local environment on.
     */
    @Test
    @SuppressWarnings("unchecked")
    void shouldGiveEveryServiceTheSecretsProductionNeedsAndNeverTheLocalEnvironment() throws IOException {
        final Map<String, List<String>> needs = Map.of(
                "classifier",
                List.of("HITL_SIGNING_KEY_FILE", "HITL_AGENT_CREDENTIALS_SECRET", "HITL_OPERATOR_TOKEN"),
                "escalation",
                List.of("HITL_SIGNING_KEY_FILE", "HITL_OPERATOR_TOKEN"),
                "approval",
                List.of("HITL_JWT_SECRET", "HITL_VOTER_KEY_FILE", "HITL_DECISION_PUBLIC_KEYS_FILE"),
                "audit",
                List.of(
                        "HITL_AUDIT_DB_URL",
                        "HITL_AUDIT_DB_USER",
                        "HITL_AUDIT_DB_PASSWORD",
                        "HITL_AUDIT_CLIENTS",
                        "HITL_AUDIT_CHECKPOINT_KEY_FILE"));
        final Map<String, Map<String, Object>> k8s = new java.util.HashMap<>();
        for (final Map<String, Object> d : manifests()) {
            if ("Deployment".equals(d.get("kind"))) {
                final Map<String, Object> container =
                        ((List<Map<String, Object>>) at(d, "spec", "template", "spec", "containers")).get(0);
                final Map<String, Object> env = new java.util.HashMap<>();
                java.util.Objects.requireNonNullElse(
                                (List<Map<String, Object>>) container.get("env"), List.<Map<String, Object>>of())
                        .forEach(e -> env.put((String) e.get("name"), e.containsKey("value") ? e.get("value") : e));
                k8s.put(at(d, "metadata", "name"), env);
            }
        }
        final Map<String, Object> compose =
                at(documents(COMPOSE.resolve("docker-compose.yml")).get(0), "services");
        needs.forEach((service, variables) -> {
            assertThat(k8s.get(service)).as("k8s " + service).containsKeys(variables.toArray(String[]::new));
            final Map<String, Object> composeEnv = at(compose, service, "environment");
            final Map<String, Object> merged = new java.util.HashMap<>(composeEnv);
            assertThat(merged).as("compose " + service).containsKeys(variables.toArray(String[]::new));
        });
        for (final Map.Entry<String, Map<String, Object>> entry : k8s.entrySet()) {
            assertThat(String.valueOf(entry.getValue().get("MICRONAUT_ENVIRONMENTS")))
                    .as("k8s " + entry.getKey())
                    .doesNotContain("local");
        }
        assertThat(Files.readString(COMPOSE.resolve("docker-compose.yml"))).doesNotContain("MICRONAUT_ENVIRONMENTS");
        // Reviewers' accounts come from a file the operator supplies (a secret in k8s), never built in.
        assertThat(k8s.get("approval")).containsEntry("MICRONAUT_CONFIG_FILES", "/etc/hitl/users/users.yml");
        assertThat((Map<String, Object>) at(compose, "approval", "environment")).containsKey("MICRONAUT_CONFIG_FILES");
        final String builtIn =
                Files.readString(Path.of("../approval-service/src/main/resources/application-local.yml"));
        final Matcher hashes = Pattern.compile("\\$2a\\$10\\$[./A-Za-z0-9]{53}").matcher(builtIn);
        final List<String> localHashes = new ArrayList<>();
        while (hashes.find()) {
            localHashes.add(hashes.group());
        }
        assertThat(localHashes).as("the local accounts' hashes").isNotEmpty();
        for (final Path file : List.of(
                COMPOSE.resolve("docker-compose.yml"), K8S.resolve("50-services.yaml"), K8S.resolve("30-users.yaml"))) {
            assertThat(Files.readString(file)).as(file.toString()).doesNotContain(localHashes);
        }
    }

    /**
     * Only the intended callers reach each service: everything closed by default, each service
     * opened on its own port to named callers only, and the registry to hitl's services and clients.
     */
    @Test
    @SuppressWarnings("unchecked")
    void shouldCloseEveryPodByDefaultAndOpenEachServiceToItsCallersOnly() throws IOException {
        final List<Map<String, Object>> policies = manifests().stream()
                .filter(m -> "NetworkPolicy".equals(m.get("kind")))
                .toList();
        assertThat(policies)
                .as("a default deny of ingress for every pod of the namespace")
                .anySatisfy(p -> {
                    assertThat((Map<String, Object>) at(p, "spec", "podSelector"))
                            .isEmpty();
                    assertThat((List<String>) at(p, "spec", "policyTypes")).containsExactly("Ingress");
                    assertThat((Object) at(p, "spec", "ingress")).isNull();
                });
        final Map<String, Integer> ports = Map.of(
                "schema-registry", 8080, "classifier", 8091, "escalation", 8092, "approval", 8093, "audit", 8094);
        ports.forEach((app, port) -> {
            final List<Map<String, Object>> selecting = policies.stream()
                    .filter(p -> app.equals(at(p, "spec", "podSelector", "matchLabels", "app")))
                    .toList();
            assertThat(selecting).as("the policy of " + app).hasSize(1);
            final List<Map<String, Object>> rules = at(selecting.get(0), "spec", "ingress");
            assertThat(rules).as(app).isNotEmpty().allSatisfy(rule -> {
                assertThat((List<Object>) rule.get("from"))
                        .as(app + ": every rule names its callers (no rule open to all)")
                        .isNotEmpty();
                assertThat((List<Map<String, Object>>) rule.get("ports"))
                        .as(app + ": only its own port")
                        .extracting(p -> p.get("port"))
                        .containsExactly(port);
            });
        });
        // The registry: hitl's four services, labelled clients and operators; nobody else.
        final Map<String, Object> registry = policies.stream()
                .filter(p -> "schema-registry".equals(at(p, "spec", "podSelector", "matchLabels", "app")))
                .findFirst()
                .orElseThrow();
        final List<Map<String, Object>> from =
                (List<Map<String, Object>>) ((List<Map<String, Object>>) at(registry, "spec", "ingress"))
                        .get(0)
                        .get("from");
        assertThat(from).noneMatch(peer -> peer.containsKey("namespaceSelector") || peer.containsKey("ipBlock"));
        assertThat(from.toString())
                .contains("classifier", "escalation", "approval", "audit", "hitl.dev/client", "hitl.dev/operator");
    }
}
