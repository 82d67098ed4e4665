"""The monitoring profile's own parts: alert rules (``rules/``) with their promtool tests (``tests/``),
the Kafka JMX exporter whitelist (``kafka-jmx.yml``) and the per-service memory exporter."""
