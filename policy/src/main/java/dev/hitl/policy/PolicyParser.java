package dev.hitl.policy;

import com.google.re2j.Pattern;
import dev.hitl.policy.Policy.ArgumentPredicate;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.RiskClass;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Parses and validates a policy document. Strict: unknown fields, wrong types, bad patterns,
 * dangling route names and escalation cycles are all refused, each reported with its line, column
 * and field, every problem of the document at once.
 */
public final class PolicyParser {

    /** The largest policy document accepted. */
    public static final int MAX_DOCUMENT_CHARS = 1_000_000;

    /** The most aliases to lists or mappings a document may use (refuses "billion laughs"). */
    public static final int MAX_ALIASES = 20;

    /**
     * The largest RE2 program one regular expression may compile to, in instructions. Matching is
     * linear in the text but proportional to the program too; the default policy's largest is 353.
     */
    public static final int MAX_PATTERN_SIZE = 500;

    private static final Set<String> TOP = Set.of(
            "name",
            "version",
            "description",
            "defaults",
            "thresholds",
            "scoring",
            "rules",
            "routes",
            "triggers",
            "autonomy",
            "agents",
            "rejectionMemory",
            "spotChecks");
    private static final Set<String> RULE =
            Set.of("id", "description", "match", "block", "riskClass", "scoreAdd", "route", "promotable", "reason");
    private static final Set<String> MATCH =
            Set.of("actionType", "tool", "arguments", "costAbove", "systemsAtLeast", "inputTrust", "domain");
    private static final Set<String> PREDICATE = Set.of(
            "field", "matches", "notMatches", "statement", "in", "domainNotIn", "greaterThan", "lessThan", "exists");
    private static final Set<String> STATEMENT = Set.of("matches", "notFollowedBy");
    private static final Set<String> ROUTE =
            Set.of("tier", "stages", "mode", "deadline", "onTimeout", "escalateTo", "approvalValidFor", "remindAt");

    /** A route reminds its groups at most this many times per escalation level. */
    static final int MAX_REMINDERS = 5;

    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    private final List<PolicyException.Problem> problems = new ArrayList<>();
    private final Map<String, YamlNode> escalateToNodes = new LinkedHashMap<>();

    private PolicyParser() {}

    /**
     * @param yaml the policy document
     * @return the validated policy
     * @throws PolicyException listing every problem, each with line, column and field
     */
    public static Policy parse(final String yaml) throws PolicyException {
        return new PolicyParser().read(yaml);
    }

    private Policy read(final String yaml) throws PolicyException {
        if (yaml == null || yaml.isBlank()) {
            throw new PolicyException(List.of(new PolicyException.Problem(0, 0, "", "the policy document is empty")));
        }
        if (yaml.length() > MAX_DOCUMENT_CHARS) {
            throw new PolicyException(List.of(new PolicyException.Problem(
                    0, 0, "", "the policy document is larger than " + MAX_DOCUMENT_CHARS + " characters")));
        }
        final Node root;
        try {
            final LoaderOptions options = new LoaderOptions();
            options.setMaxAliasesForCollections(MAX_ALIASES);
            options.setAllowRecursiveKeys(false);
            options.setCodePointLimit(MAX_DOCUMENT_CHARS);
            root = new Yaml(options).compose(new StringReader(yaml));
        } catch (MarkedYAMLException e) {
            final int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            final int column =
                    e.getProblemMark() == null ? 0 : e.getProblemMark().getColumn() + 1;
            throw new PolicyException(List.of(new PolicyException.Problem(
                    line,
                    column,
                    "",
                    "not valid YAML: " + e.getProblem()
                            + (e.getContext() == null ? "" : " (" + e.getContext() + ")"))));
        } catch (YAMLException e) {
            final String message = e.getMessage() != null && e.getMessage().contains("aliases")
                    ? "too many aliases (*name) to lists or mappings: at most " + MAX_ALIASES
                            + " are allowed, so that a small document cannot expand into a huge one"
                    : "not valid YAML: " + e.getMessage();
            throw new PolicyException(List.of(new PolicyException.Problem(0, 0, "", message)));
        }
        if (root == null) {
            throw new PolicyException(List.of(new PolicyException.Problem(0, 0, "", "the policy document is empty")));
        }
        final YamlNode document = new YamlNode(root, "", problems);
        if (!document.isMapping()) {
            document.problem("a policy document is a mapping of sections (name, version, defaults, thresholds,"
                    + " scoring, rules, routes, triggers, autonomy, agents, rejectionMemory, spotChecks)");
            throw new PolicyException(problems);
        }
        final Map<String, YamlNode> top = document.fields(TOP);
        final String name =
                required(top, "name", document).flatMap(YamlNode::text).orElse("?");
        final String version =
                required(top, "version", document).flatMap(YamlNode::text).orElse("?");
        final Map<String, Policy.Route> routes = routes(required(top, "routes", document));
        final Policy.Defaults defaults = defaults(required(top, "defaults", document), routes);
        final Policy.Thresholds thresholds = thresholds(required(top, "thresholds", document));
        final Policy.Scoring scoring = scoring(required(top, "scoring", document));
        final List<Policy.Rule> rules = rules(required(top, "rules", document), routes);
        final List<Policy.TriggerRule> triggers = triggers(Optional.ofNullable(top.get("triggers")));
        final Policy.Autonomy autonomy = autonomy(required(top, "autonomy", document));
        final Map<Glob, Policy.AgentProfile> agents = agents(Optional.ofNullable(top.get("agents")));
        final Optional<Policy.RejectionMemory> rejectionMemory =
                rejectionMemory(Optional.ofNullable(top.get("rejectionMemory")));
        final Optional<Policy.SpotChecks> spotChecks =
                spotChecks(Optional.ofNullable(top.get("spotChecks")), rules, routes, defaults);
        checkEscalationChains(routes);
        if (!problems.isEmpty()) {
            throw new PolicyException(problems.stream()
                    .sorted(Comparator.comparingInt(PolicyException.Problem::line)
                            .thenComparingInt(PolicyException.Problem::column))
                    .toList());
        }
        return new Policy(
                name,
                version,
                sha256(yaml),
                yaml,
                defaults,
                thresholds,
                scoring,
                List.copyOf(rules),
                Map.copyOf(routes),
                List.copyOf(triggers),
                autonomy,
                agents,
                rejectionMemory,
                spotChecks);
    }

    /**
     * {@code spotChecks: {rate: 0.02, group: reviewers, rules: {<rule id>: 0.1}}}: {@code rate}
     * required, every rate 0..1, every rule id one of the policy's rules; {@code group} defaults to
     * the first stage's group of the default route.
     */
    private Optional<Policy.SpotChecks> spotChecks(
            final Optional<YamlNode> node,
            final List<Policy.Rule> rules,
            final Map<String, Policy.Route> routes,
            final Policy.Defaults defaults) {
        if (node.isEmpty()) {
            return Optional.empty();
        }
        final Map<String, YamlNode> fields = node.get().fields(Set.of("rate", "group", "rules"));
        final double rate = required(fields, "rate", node.get())
                .flatMap(n -> n.number(0, 1))
                .orElse(0.0);
        final Optional<String> group = Optional.ofNullable(fields.get("group")).flatMap(YamlNode::text);
        if (group.isPresent() && group.get().isBlank() && fields.get("group") != null) {
            fields.get("group").problem("must name a reviewer group");
        }
        final String defaultGroup = Optional.ofNullable(routes.get(defaults.route()))
                .filter(route -> !route.stages().isEmpty())
                .map(route -> route.stages().get(0).group())
                .orElse("?");
        final Set<String> ids = new HashSet<>();
        rules.forEach(rule -> ids.add(rule.id()));
        final Map<String, Double> ruleRates = new LinkedHashMap<>();
        Optional.ofNullable(fields.get("rules"))
                .ifPresent(rulesNode -> rulesNode.entries().forEach((id, value) -> {
                    if (!ids.contains(id)) {
                        final String suggestion = YamlNode.closest(id, ids);
                        value.problem("'" + id + "' is not the id of a rule of this policy"
                                + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
                    }
                    value.number(0, 1).ifPresent(r -> ruleRates.put(id, r));
                }));
        return Optional.of(new Policy.SpotChecks(rate, group.orElse(defaultGroup), Map.copyOf(ruleRates)));
    }

    /** {@code rejectionMemory: {window: P7D}}: the window is required, a positive ISO-8601 duration. */
    private Optional<Policy.RejectionMemory> rejectionMemory(final Optional<YamlNode> node) {
        if (node.isEmpty()) {
            return Optional.empty();
        }
        final Map<String, YamlNode> fields = node.get().fields(Set.of("window"));
        return required(fields, "window", node.get()).flatMap(this::duration).map(Policy.RejectionMemory::new);
    }

    private Optional<YamlNode> required(final Map<String, YamlNode> fields, final String key, final YamlNode parent) {
        final YamlNode node = fields.get(key);
        if (node == null) {
            parent.missing(key);
        }
        return Optional.ofNullable(node);
    }

    private Policy.Defaults defaults(final Optional<YamlNode> node, final Map<String, Policy.Route> routes) {
        if (node.isEmpty()) {
            return new Policy.Defaults(RiskClass.IRREVERSIBLE, "?");
        }
        final Map<String, YamlNode> fields = node.get().fields(Set.of("riskClass", "route"));
        final RiskClass riskClass = required(fields, "riskClass", node.get())
                .flatMap(n -> n.enumValue(RiskClass.class))
                .orElse(RiskClass.IRREVERSIBLE);
        final String route = required(fields, "route", node.get())
                .flatMap(n -> routeName(n, routes))
                .orElse("?");
        return new Policy.Defaults(riskClass, route);
    }

    private Policy.Thresholds thresholds(final Optional<YamlNode> node) {
        if (node.isEmpty()) {
            return new Policy.Thresholds(0, 0, Set.of());
        }
        final Map<String, YamlNode> fields = node.get()
                .fields(Set.of("autoApproveMaxScore", "lowTrustAutoApproveMaxScore", "autoApproveRiskClasses"));
        final Optional<Double> maxValue =
                required(fields, "autoApproveMaxScore", node.get()).flatMap(n -> n.number(0, 1));
        final double max = maxValue.orElse(0.0);
        final YamlNode lowTrustNode = fields.get("lowTrustAutoApproveMaxScore");
        final Optional<Double> lowTrustValue = lowTrustNode == null ? maxValue : lowTrustNode.number(0, 1);
        final double lowTrust = lowTrustValue.orElse(0.0);
        if (lowTrustNode != null && maxValue.isPresent() && lowTrustValue.isPresent() && lowTrust > max) {
            lowTrustNode.problem(
                    "must not be above autoApproveMaxScore (" + max + "): low-trust input gets the stricter threshold");
        }
        final Set<RiskClass> classes = fields.containsKey("autoApproveRiskClasses")
                ? enumSet(fields.get("autoApproveRiskClasses"), RiskClass.class)
                : EnumSet.of(RiskClass.READ_ONLY);
        return new Policy.Thresholds(max, lowTrust, classes);
    }

    private Policy.Scoring scoring(final Optional<YamlNode> node) {
        if (node.isEmpty()) {
            return new Policy.Scoring(Map.of(), "EUR", Map.of(), List.of(), 0, 0, 0, 0, 0, 0, 0);
        }
        final Map<String, YamlNode> fields = node.get()
                .fields(Set.of(
                        "base",
                        "currency",
                        "exchangeRates",
                        "costSteps",
                        "systemsAbove",
                        "systemsAdd",
                        "batchAbove",
                        "batchAdd",
                        "confidenceBelow",
                        "confidenceAdd",
                        "lowTrustAdd"));
        final Map<RiskClass, Double> base = new EnumMap<>(RiskClass.class);
        required(fields, "base", node.get()).ifPresent(baseNode -> {
            final Map<String, YamlNode> entries = baseNode.entries();
            for (final Map.Entry<String, YamlNode> entry : entries.entrySet()) {
                final Optional<RiskClass> riskClass = parseEnum(entry.getValue(), entry.getKey(), RiskClass.class);
                entry.getValue().number(0, 1).ifPresent(v -> riskClass.ifPresent(c -> base.put(c, v)));
            }
            for (final RiskClass riskClass : RiskClass.values()) {
                if (baseNode.isMapping() && !entries.containsKey(riskClass.name())) {
                    baseNode.problem("needs a base score for " + riskClass);
                }
            }
        });
        final String currency = Optional.ofNullable(fields.get("currency"))
                .flatMap(this::currency)
                .orElse("EUR");
        final Map<String, BigDecimal> rates = new LinkedHashMap<>();
        Optional.ofNullable(fields.get("exchangeRates"))
                .ifPresent(ratesNode -> ratesNode.entries().forEach((code, value) -> {
                    if (!CURRENCY.matcher(code).matches()) {
                        value.problem("'" + code + "' is not an ISO 4217 currency code (three capital letters, e.g."
                                + " USD)");
                    }
                    decimal(value, true).ifPresent(rate -> rates.put(code, rate));
                }));
        final List<Policy.CostStep> steps = new ArrayList<>();
        Optional.ofNullable(fields.get("costSteps")).ifPresent(stepsNode -> {
            for (final YamlNode step : stepsNode.elements()) {
                final Map<String, YamlNode> stepFields = step.fields(Set.of("above", "add"));
                final Optional<BigDecimal> above =
                        required(stepFields, "above", step).flatMap(n -> decimal(n, false));
                final Optional<Double> add = required(stepFields, "add", step).flatMap(n -> n.number(0, 1));
                if (above.isPresent() && add.isPresent()) {
                    steps.add(new Policy.CostStep(above.get(), add.get()));
                }
            }
        });
        return new Policy.Scoring(
                Map.copyOf(base),
                currency,
                Map.copyOf(rates),
                List.copyOf(steps),
                optionalInt(fields, "systemsAbove", 0, 1000).orElse(Integer.MAX_VALUE),
                optionalScore(fields, "systemsAdd"),
                optionalInt(fields, "batchAbove", 0, 1_000_000).orElse(Integer.MAX_VALUE),
                optionalScore(fields, "batchAdd"),
                optionalScore(fields, "confidenceBelow"),
                optionalScore(fields, "confidenceAdd"),
                optionalScore(fields, "lowTrustAdd"));
    }

    private List<Policy.Rule> rules(final Optional<YamlNode> node, final Map<String, Policy.Route> routes) {
        final List<Policy.Rule> rules = new ArrayList<>();
        if (node.isEmpty()) {
            return rules;
        }
        final Set<String> ids = new HashSet<>();
        for (final YamlNode ruleNode : node.get().elements()) {
            final Map<String, YamlNode> fields = ruleNode.fields(RULE);
            final Optional<String> id = required(fields, "id", ruleNode).flatMap(YamlNode::text);
            id.ifPresent(value -> {
                if (!ids.add(value)) {
                    fields.get("id").problem("duplicate rule id '" + value + "'");
                }
            });
            final Policy.Match match =
                    required(fields, "match", ruleNode).map(this::match).orElse(null);
            final Optional<String> block =
                    Optional.ofNullable(fields.get("block")).flatMap(YamlNode::text);
            final Optional<RiskClass> riskClass =
                    Optional.ofNullable(fields.get("riskClass")).flatMap(n -> n.enumValue(RiskClass.class));
            final double scoreAdd = optionalScore(fields, "scoreAdd");
            final Optional<String> route =
                    Optional.ofNullable(fields.get("route")).flatMap(n -> routeName(n, routes));
            final Optional<Boolean> promotable =
                    Optional.ofNullable(fields.get("promotable")).flatMap(YamlNode::bool);
            final boolean hasEffect = fields.containsKey("block")
                    || fields.containsKey("riskClass")
                    || fields.containsKey("route")
                    || fields.containsKey("promotable")
                    || (fields.containsKey("scoreAdd") && scoreAdd != 0);
            if (!hasEffect && ruleNode.isMapping()) {
                ruleNode.problem("rule '" + id.orElse("?")
                        + "' has no effect: give it block, riskClass, scoreAdd, route or promotable");
            }
            final String reason = Optional.ofNullable(fields.get("reason"))
                    .flatMap(YamlNode::text)
                    .or(() -> block)
                    .or(() -> Optional.ofNullable(fields.get("description")).flatMap(YamlNode::text))
                    .orElse("matched rule " + id.orElse("?"));
            if (id.isPresent() && match != null) {
                rules.add(new Policy.Rule(
                        id.get(), ruleNode.line(), match, block, riskClass, scoreAdd, route, promotable, reason));
            }
        }
        return rules;
    }

    private Policy.Match match(final YamlNode node) {
        final Map<String, YamlNode> fields = node.fields(MATCH);
        final List<Glob> actionTypes = globs(fields.get("actionType"));
        final List<Glob> tools = globs(fields.get("tool"));
        final List<ArgumentPredicate> arguments = new ArrayList<>();
        Optional.ofNullable(fields.get("arguments")).ifPresent(argumentsNode -> {
            for (final YamlNode predicateNode : argumentsNode.elements()) {
                arguments.addAll(predicates(predicateNode));
            }
        });
        final Optional<BigDecimal> costAbove =
                Optional.ofNullable(fields.get("costAbove")).flatMap(n -> decimal(n, false));
        final Optional<Integer> systemsAtLeast = optionalInt(fields, "systemsAtLeast", 1, 1000);
        final Set<InputTrust> inputTrust =
                fields.containsKey("inputTrust") ? enumSet(fields.get("inputTrust"), InputTrust.class) : Set.of();
        final Set<String> domains = fields.containsKey("domain") ? texts(fields.get("domain")) : Set.of();
        return new Policy.Match(
                actionTypes, tools, List.copyOf(arguments), costAbove, systemsAtLeast, inputTrust, domains);
    }

    private List<ArgumentPredicate> predicates(final YamlNode node) {
        final Map<String, YamlNode> fields = node.fields(PREDICATE);
        final Optional<String> fieldName = required(fields, "field", node).flatMap(YamlNode::text);
        if (fieldName.isEmpty()) {
            return List.of();
        }
        final String pointer = fieldName.get().startsWith("/") ? fieldName.get() : "/" + fieldName.get();
        final List<ArgumentPredicate> predicates = new ArrayList<>();
        for (final Map.Entry<String, YamlNode> entry : fields.entrySet()) {
            final YamlNode value = entry.getValue();
            switch (entry.getKey()) {
                case "matches" ->
                    pattern(value).ifPresent(p -> predicates.add(new ArgumentPredicate.Matches(pointer, p)));
                case "notMatches" ->
                    pattern(value).ifPresent(p -> predicates.add(new ArgumentPredicate.NotMatches(pointer, p)));
                case "statement" -> statement(pointer, value).ifPresent(predicates::add);
                case "in" -> predicates.add(new ArgumentPredicate.In(pointer, texts(value)));
                case "domainNotIn" ->
                    predicates.add(new ArgumentPredicate.DomainNotIn(
                            pointer,
                            texts(value).stream()
                                    .map(String::toLowerCase)
                                    .collect(java.util.stream.Collectors.toSet())));
                case "greaterThan" ->
                    decimal(value, false).ifPresent(b -> predicates.add(new ArgumentPredicate.GreaterThan(pointer, b)));
                case "lessThan" ->
                    decimal(value, false).ifPresent(b -> predicates.add(new ArgumentPredicate.LessThan(pointer, b)));
                case "exists" -> value.bool().ifPresent(b -> predicates.add(new ArgumentPredicate.Exists(pointer, b)));
                default -> {} // "field", or unknown (already reported)
            }
        }
        if (fields.keySet().stream().noneMatch(key -> !key.equals("field") && PREDICATE.contains(key))) {
            node.problem("an argument condition needs one of matches, notMatches, statement, in, domainNotIn,"
                    + " greaterThan, lessThan or exists");
        }
        return predicates;
    }

    private Optional<ArgumentPredicate> statement(final String pointer, final YamlNode node) {
        final Map<String, YamlNode> fields = node.fields(STATEMENT);
        final Optional<Pattern> matches = required(fields, "matches", node).flatMap(this::pattern);
        final Optional<Pattern> notFollowedBy =
                Optional.ofNullable(fields.get("notFollowedBy")).flatMap(this::pattern);
        if (matches.isEmpty() || (fields.containsKey("notFollowedBy") && notFollowedBy.isEmpty())) {
            return Optional.empty();
        }
        return Optional.of(new ArgumentPredicate.Statement(pointer, matches.get(), notFollowedBy));
    }

    private Map<String, Policy.Route> routes(final Optional<YamlNode> node) {
        final Map<String, Policy.Route> routes = new LinkedHashMap<>();
        if (node.isEmpty()) {
            return routes;
        }
        final Map<String, YamlNode> entries = node.get().entries();
        if (entries.isEmpty() && node.get().isMapping()) {
            node.get().problem("at least one route is required");
        }
        for (final Map.Entry<String, YamlNode> entry : entries.entrySet()) {
            final YamlNode routeNode = entry.getValue();
            final Map<String, YamlNode> fields = routeNode.fields(ROUTE);
            final String tier = Optional.ofNullable(fields.get("tier"))
                    .flatMap(YamlNode::text)
                    .orElse(entry.getKey());
            final List<Policy.Stage> stages = new ArrayList<>();
            required(fields, "stages", routeNode).ifPresent(stagesNode -> {
                final List<YamlNode> elements = stagesNode.elements();
                if (elements.isEmpty()) {
                    stagesNode.problem("a route needs at least one stage");
                }
                for (final YamlNode stageNode : elements) {
                    final Map<String, YamlNode> stageFields = stageNode.fields(Set.of("group", "quorum"));
                    final Optional<String> group =
                            required(stageFields, "group", stageNode).flatMap(YamlNode::text);
                    final int quorum =
                            optionalInt(stageFields, "quorum", 1, 100).orElse(1);
                    group.ifPresent(g -> stages.add(new Policy.Stage(g, quorum)));
                }
            });
            final ApprovalMode mode = Optional.ofNullable(fields.get("mode"))
                    .flatMap(n -> n.enumValue(ApprovalMode.class))
                    .orElse(ApprovalMode.SEQUENTIAL);
            final Duration deadline = required(fields, "deadline", routeNode)
                    .flatMap(this::duration)
                    .orElse(Duration.ofMinutes(30));
            final OnTimeout onTimeout = Optional.ofNullable(fields.get("onTimeout"))
                    .flatMap(n -> n.enumValue(OnTimeout.class))
                    .orElse(OnTimeout.TIME_OUT);
            final Optional<String> escalateTo =
                    Optional.ofNullable(fields.get("escalateTo")).flatMap(YamlNode::text);
            escalateTo.ifPresent(target -> escalateToNodes.put(entry.getKey(), fields.get("escalateTo")));
            if (onTimeout == OnTimeout.ESCALATE && !fields.containsKey("escalateTo")) {
                fields.get("onTimeout")
                        .problem("route '" + entry.getKey() + "' escalates on timeout but names no escalateTo route");
            }
            final Duration validFor = Optional.ofNullable(fields.get("approvalValidFor"))
                    .flatMap(this::duration)
                    .orElse(Duration.ofHours(1));
            final List<Double> remindAt = Optional.ofNullable(fields.get("remindAt"))
                    .map(this::remindAt)
                    .orElse(List.of());
            routes.put(
                    entry.getKey(),
                    new Policy.Route(
                            entry.getKey(),
                            tier,
                            List.copyOf(stages),
                            mode,
                            deadline,
                            onTimeout,
                            escalateTo,
                            validFor,
                            remindAt));
        }
        return routes;
    }

    /**
     * A route's reminders: one fraction or a list of them, each greater than 0 and less than 1, in
     * ascending order, at most {@value #MAX_REMINDERS}.
     */
    private List<Double> remindAt(final YamlNode node) {
        final List<YamlNode> elements = node.elements();
        if (node.isSequence() && elements.isEmpty()) {
            node.problem("give at least one fraction of the deadline (e.g. 0.5), or leave remindAt out for none");
        }
        if (elements.size() > MAX_REMINDERS) {
            node.problem("at most " + MAX_REMINDERS + " reminders per route, found " + elements.size());
        }
        final List<Double> fractions = new ArrayList<>();
        double previous = 0;
        for (final YamlNode element : elements) {
            final Optional<Double> fraction = element.number(0, 1);
            if (fraction.isEmpty()) {
                continue;
            }
            final double value = fraction.get();
            if (value <= 0 || value >= 1) {
                element.problem("must be a fraction of the deadline greater than 0 and less than 1 (0.5 reminds"
                        + " halfway), found " + value);
            } else if (value <= previous) {
                element.problem("must be greater than the reminder before it (" + previous
                        + "): list the fractions in ascending order, each once");
            } else {
                fractions.add(value);
                previous = value;
            }
        }
        return List.copyOf(fractions);
    }

    private void checkEscalationChains(final Map<String, Policy.Route> routes) {
        for (final Policy.Route route : routes.values()) {
            final YamlNode node = escalateToNodes.get(route.name());
            if (node == null) {
                continue;
            }
            final String target = route.escalateTo().orElseThrow();
            if (!routes.containsKey(target)) {
                final String suggestion = YamlNode.closest(target, routes.keySet());
                node.problem("names route '" + target + "', which does not exist"
                        + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?") + " Routes: "
                        + String.join(", ", routes.keySet()));
                continue;
            }
            // a loop is reported at each route on it, not at routes that merely lead into it
            final Set<String> seen = new LinkedHashSet<>();
            Optional<String> next = Optional.of(route.name());
            while (next.isPresent() && routes.containsKey(next.get())) {
                if (!seen.add(next.get())) {
                    if (next.get().equals(route.name())) {
                        node.problem("escalation chain loops: " + String.join(" -> ", seen) + " -> " + next.get()
                                + "; the last route of a chain must time out (onTimeout: TIME_OUT)");
                    }
                    break;
                }
                next = routes.get(next.get()).escalateTo();
            }
        }
    }

    private List<Policy.TriggerRule> triggers(final Optional<YamlNode> node) {
        final List<Policy.TriggerRule> triggers = new ArrayList<>();
        if (node.isEmpty()) {
            return triggers;
        }
        final Set<String> ids = new HashSet<>();
        for (final YamlNode triggerNode : node.get().elements()) {
            final Map<String, YamlNode> fields =
                    triggerNode.fields(Set.of("id", "when", "threshold", "effect", "group", "quorum"));
            final Optional<String> id = required(fields, "id", triggerNode).flatMap(YamlNode::text);
            id.filter(value -> !ids.add(value))
                    .ifPresent(value -> fields.get("id").problem("duplicate trigger id '" + value + "'"));
            final Optional<Policy.TriggerKind> kind =
                    required(fields, "when", triggerNode).flatMap(n -> n.enumValue(Policy.TriggerKind.class));
            final Optional<BigDecimal> threshold =
                    Optional.ofNullable(fields.get("threshold")).flatMap(n -> decimal(n, false));
            kind.ifPresent(k -> {
                final boolean needsThreshold = k == Policy.TriggerKind.COST_ABOVE
                        || k == Policy.TriggerKind.CONFIDENCE_BELOW
                        || k == Policy.TriggerKind.SYSTEMS_AT_LEAST;
                final YamlNode thresholdNode = fields.get("threshold");
                if (needsThreshold && thresholdNode == null) {
                    triggerNode.missing("threshold", "a " + k + " trigger needs a threshold");
                } else if (!needsThreshold && thresholdNode != null) {
                    thresholdNode.problem("a " + k + " trigger takes no threshold");
                } else if (k == Policy.TriggerKind.CONFIDENCE_BELOW
                        && threshold
                                .filter(t -> t.compareTo(BigDecimal.ONE) > 0)
                                .isPresent()) {
                    thresholdNode.problem("a confidence is from 0 to 1, found "
                            + threshold.get().toPlainString());
                } else if (k == Policy.TriggerKind.SYSTEMS_AT_LEAST
                        && threshold
                                .filter(t -> t.stripTrailingZeros().scale() > 0 || t.signum() == 0)
                                .isPresent()) {
                    thresholdNode.problem("must be a whole number of systems, at least 1, found "
                            + threshold.get().toPlainString());
                }
            });
            final Optional<Policy.TriggerEffect> effect =
                    required(fields, "effect", triggerNode).flatMap(n -> n.enumValue(Policy.TriggerEffect.class));
            final Optional<String> group =
                    Optional.ofNullable(fields.get("group")).flatMap(YamlNode::text);
            final int quorum = optionalInt(fields, "quorum", 1, 100).orElse(1);
            effect.ifPresent(e -> {
                if (e == Policy.TriggerEffect.GROUP_REVIEW && !fields.containsKey("group")) {
                    triggerNode.missing("group", "a GROUP_REVIEW trigger needs a group");
                } else if (e != Policy.TriggerEffect.GROUP_REVIEW) {
                    for (final String key : List.of("group", "quorum")) {
                        if (fields.containsKey(key)) {
                            fields.get(key).problem("only a GROUP_REVIEW trigger takes a " + key);
                        }
                    }
                }
            });
            if (id.isPresent() && kind.isPresent() && effect.isPresent()) {
                triggers.add(new Policy.TriggerRule(id.get(), kind.get(), threshold, effect.get(), group, quorum));
            }
        }
        return triggers;
    }

    private Policy.Autonomy autonomy(final Optional<YamlNode> node) {
        if (node.isEmpty()) {
            return new Policy.Autonomy(1, 1, 0, 0, false, Set.of(), Optional.empty());
        }
        final Map<String, YamlNode> fields = node.get()
                .fields(Set.of(
                        "window",
                        "promoteAfterApprovals",
                        "promoteMaxRejectionRate",
                        "demoteAboveRejectionRate",
                        "promotableByDefault",
                        "never"));
        final Optional<Integer> windowValue =
                required(fields, "window", node.get()).flatMap(n -> n.integer(1, 1000));
        final Optional<Integer> promoteAfterValue =
                required(fields, "promoteAfterApprovals", node.get()).flatMap(n -> n.integer(1, 1000));
        final int window = windowValue.orElse(1);
        final int promoteAfter = promoteAfterValue.orElse(1);
        if (windowValue.isPresent() && promoteAfterValue.isPresent() && promoteAfter > window) {
            fields.get("promoteAfterApprovals")
                    .problem("cannot exceed window (" + window + "): only decisions in the window count");
        }
        final Optional<Double> promoteMaxValue =
                required(fields, "promoteMaxRejectionRate", node.get()).flatMap(n -> n.number(0, 1));
        final Optional<Double> demoteAboveValue =
                required(fields, "demoteAboveRejectionRate", node.get()).flatMap(n -> n.number(0, 1));
        final double promoteMax = promoteMaxValue.orElse(0.0);
        final double demoteAbove = demoteAboveValue.orElse(0.0);
        if (promoteMaxValue.isPresent() && demoteAboveValue.isPresent() && demoteAbove < promoteMax) {
            fields.get("demoteAboveRejectionRate")
                    .problem("must not be below promoteMaxRejectionRate (" + promoteMax + ")");
        }
        final boolean byDefault = Optional.ofNullable(fields.get("promotableByDefault"))
                .flatMap(YamlNode::bool)
                .orElse(false);
        Set<RiskClass> neverClasses = EnumSet.of(RiskClass.IRREVERSIBLE);
        Optional<BigDecimal> neverCost = Optional.empty();
        final YamlNode never = fields.get("never");
        if (never != null) {
            final Map<String, YamlNode> neverFields = never.fields(Set.of("riskClasses", "costAbove"));
            if (neverFields.containsKey("riskClasses")) {
                neverClasses = enumSet(neverFields.get("riskClasses"), RiskClass.class);
            }
            neverCost = Optional.ofNullable(neverFields.get("costAbove")).flatMap(n -> decimal(n, false));
        }
        return new Policy.Autonomy(window, promoteAfter, promoteMax, demoteAbove, byDefault, neverClasses, neverCost);
    }

    private Map<Glob, Policy.AgentProfile> agents(final Optional<YamlNode> node) {
        final Map<Glob, Policy.AgentProfile> agents = new LinkedHashMap<>();
        node.ifPresent(agentsNode -> agentsNode.entries().forEach((glob, profile) -> {
            final Map<String, YamlNode> fields = profile.fields(Set.of("domains"));
            final Set<String> domains =
                    required(fields, "domains", profile).map(this::texts).orElse(Set.of());
            agents.put(Glob.of(glob), new Policy.AgentProfile(domains));
        }));
        return agents;
    }

    private Optional<String> routeName(final YamlNode node, final Map<String, Policy.Route> routes) {
        return node.text().filter(name -> {
            if (!routes.containsKey(name)) {
                final String suggestion = YamlNode.closest(name, routes.keySet());
                node.problem("no route named '" + name + "'"
                        + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?") + " Routes: "
                        + String.join(", ", routes.keySet()));
                return false;
            }
            return true;
        });
    }

    private List<Glob> globs(final YamlNode node) {
        if (node == null) {
            return List.of();
        }
        final List<Glob> globs = new ArrayList<>();
        for (final YamlNode element : node.elements()) {
            element.text().ifPresent(text -> globs.add(Glob.of(text)));
        }
        return List.copyOf(globs);
    }

    private Set<String> texts(final YamlNode node) {
        final Set<String> values = new LinkedHashSet<>();
        for (final YamlNode element : node.elements()) {
            element.text().ifPresent(values::add);
        }
        return Set.copyOf(values);
    }

    private <E extends Enum<E>> Set<E> enumSet(final YamlNode node, final Class<E> type) {
        final Set<E> values = EnumSet.noneOf(type);
        for (final YamlNode element : node.elements()) {
            element.enumValue(type).ifPresent(values::add);
        }
        return Set.copyOf(values);
    }

    private <E extends Enum<E>> Optional<E> parseEnum(final YamlNode at, final String text, final Class<E> type) {
        for (final E constant : type.getEnumConstants()) {
            if (constant.name().equals(text)) {
                return Optional.of(constant);
            }
        }
        at.problem("'" + text + "' is not one of "
                + String.join(
                        ", ",
                        java.util.Arrays.stream(type.getEnumConstants())
                                .map(Enum::name)
                                .toList()));
        return Optional.empty();
    }

    private Optional<Pattern> pattern(final YamlNode node) {
        return node.text().flatMap(text -> {
            try {
                return Optional.of(PolicyRegex.compile(text));
            } catch (IllegalArgumentException e) {
                node.problem(e.getMessage() + " in '" + text + "'");
                return Optional.empty();
            }
        });
    }

    private Optional<String> currency(final YamlNode node) {
        return node.text().filter(code -> {
            if (!CURRENCY.matcher(code).matches()) {
                node.problem("'" + code + "' is not an ISO 4217 currency code (three capital letters, e.g. EUR)");
                return false;
            }
            return true;
        });
    }

    private Optional<Duration> duration(final YamlNode node) {
        return node.text().flatMap(text -> {
            try {
                final Duration duration = Duration.parse(text);
                if (duration.isNegative() || duration.isZero()) {
                    node.problem("must be a positive duration, found " + text);
                    return Optional.empty();
                }
                return Optional.of(duration);
            } catch (DateTimeParseException e) {
                node.problem("must be an ISO-8601 duration such as PT30M or PT2H, found '" + text + "'");
                return Optional.empty();
            }
        });
    }

    private Optional<BigDecimal> decimal(final YamlNode node, final boolean positive) {
        return node.text().flatMap(text -> {
            try {
                final BigDecimal value = new BigDecimal(text);
                if (value.signum() < 0 || (positive && value.signum() == 0)) {
                    node.problem("must be " + (positive ? "above" : "at least") + " zero, found " + text);
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (NumberFormatException e) {
                node.problem("must be a number, found '" + text + "'");
                return Optional.empty();
            }
        });
    }

    private Optional<Integer> optionalInt(
            final Map<String, YamlNode> fields, final String key, final int min, final int max) {
        return Optional.ofNullable(fields.get(key)).flatMap(n -> n.integer(min, max));
    }

    private double optionalScore(final Map<String, YamlNode> fields, final String key) {
        return Optional.ofNullable(fields.get(key)).flatMap(n -> n.number(0, 1)).orElse(0.0);
    }

    static String sha256(final String yaml) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(yaml.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
