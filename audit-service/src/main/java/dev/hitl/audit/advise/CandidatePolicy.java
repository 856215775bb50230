package dev.hitl.audit.advise;

import dev.hitl.policy.PolicyParser;
import java.io.StringReader;
import java.io.StringWriter;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The policy in force with one more rule at the end of its {@code rules:} list, as YAML: the
 * candidate a suggestion is simulated as. Done on the YAML's node tree (the rule's node appended to
 * the list's), then written out again, so anchors, aliases, quoting and flow or block style of the
 * rest stay what they were (comments go); the result is then parsed and validated like any policy.
 */
public final class CandidatePolicy {

    private CandidatePolicy() {}

    /**
     * @param policyYaml a valid policy
     * @param ruleYaml one rule as a YAML list item ({@link RuleYaml#render})
     * @return the policy with the rule appended to its rules
     * @throws IllegalArgumentException when the policy has no rules list
     */
    public static String append(final String policyYaml, final String ruleYaml) {
        final LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(PolicyParser.MAX_ALIASES);
        options.setAllowDuplicateKeys(false);
        options.setCodePointLimit(PolicyParser.MAX_DOCUMENT_CHARS * 2);
        final Yaml yaml = new Yaml(options, dumper());
        final Node root = yaml.compose(new StringReader(policyYaml));
        final Node item = yaml.compose(new StringReader(ruleYaml));
        if (!(root instanceof MappingNode mapping)
                || !(item instanceof SequenceNode items)
                || items.getValue().size() != 1) {
            throw new IllegalArgumentException("not a policy document and one rule");
        }
        for (final NodeTuple tuple : mapping.getValue()) {
            if (tuple.getKeyNode() instanceof ScalarNode key
                    && "rules".equals(key.getValue())
                    && tuple.getValueNode() instanceof SequenceNode rules) {
                rules.getValue().add(items.getValue().get(0)); // the composer's own, mutable list
                final StringWriter out = new StringWriter();
                yaml.serialize(root, out);
                return out.toString();
            }
        }
        throw new IllegalArgumentException("the policy has no rules list");
    }

    private static DumperOptions dumper() {
        final DumperOptions options = new DumperOptions();
        options.setWidth(Integer.MAX_VALUE);
        options.setSplitLines(false);
        options.setAllowUnicode(false); // non-ASCII as escapes: nothing depends on the writer's encoding
        return options;
    }
}
