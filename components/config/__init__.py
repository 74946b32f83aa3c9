"""The environment config's checks, one module per target (aws, gcp, kubernetes with onprem, hybrid and edge),
and `parse_platform`, which validates a whole platform value: its shape, then every target's checks.

Components built in code run the same checks through `refuse`, so a pool or site the config would refuse is
refused in code with the same message.
"""
