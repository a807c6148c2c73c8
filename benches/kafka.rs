//! Benchmark of the kafka reference workload (scenarios/bench/kafka-reference.ron); filled in with the model.

fn main() {
    divan::main();
}
