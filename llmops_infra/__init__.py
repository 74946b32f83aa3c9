"""llmops-infra: Pulumi components for GPU and TPU platforms, HIPAA and GDPR policy packs, an offline checker.

The one import root of the distribution; the repository's top-level folders map into it:
components/ -> llmops_infra.components, policies/ -> llmops_infra.policies, stacks/ -> llmops_infra.stacks,
llmops/ (the command line) -> llmops_infra.cli.

Kept import-free on purpose: a standalone policy pack vendors this file and must not pull the cloud SDKs.
"""
