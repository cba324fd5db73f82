"""tensorparity: conformance and benchmarks of tensor backends against torch."""
