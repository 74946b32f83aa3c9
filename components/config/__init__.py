"""The environment config, one module per section of the platform value: its pydantic models beside its checks
(aws, gcp, onprem, hybrid, edge, kubernetes, buckets), what they share (base), and the whole value (platform:
PlatformSpec and `parse_platform`, which validates the shape and then every section's checks).

Components built in code run the same checks through `refuse`, so a pool or site the config would refuse is
refused in code with the same message. components/spec.py re-exports the public names.
"""
