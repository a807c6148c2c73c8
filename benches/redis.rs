//! Benchmark of the redis reference workload (scenarios/bench/redis-reference.ron); filled in with the model.

fn main() {
    divan::main();
}
