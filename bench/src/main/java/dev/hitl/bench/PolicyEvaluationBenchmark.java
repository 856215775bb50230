package dev.hitl.bench;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ProposedAction;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** How long the default policy takes to decide one proposal (JMH, average time). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyEvaluationBenchmark {

    /** Which proposal: 0 search (auto), 12 draft (auto), 16 email (human), 19 DROP TABLE (blocked). */
    @Param({"0", "12", "16", "19"})
    public int kind;

    private PolicyEvaluator evaluator;
    private ProposedAction action;

    /** Loads the default policy and builds the proposal. */
    @Setup
    public void setUp() {
        evaluator = new PolicyEvaluator(DefaultPolicy.load());
        action = Workload.proposal(kind);
    }

    /** @return the evaluation (returned so the JIT cannot drop the work) */
    @Benchmark
    public Evaluation evaluate() {
        return evaluator.evaluate(action, Optional.empty());
    }
}
