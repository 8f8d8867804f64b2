//! What operators watch: Prometheus metrics (`metrics`).

pub mod metrics;
