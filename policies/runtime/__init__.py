"""The engine of the policy packs, beside the rule library (policies/rules/) it runs.

- rule.py: the rule model and the `@rule` declaration, Resource and Settings (the pack's parameters), evaluation
  with "cannot judge yet" for values unknown at preview;
- pack.py: a framework's rules as a CrossGuard policy pack; sdk_speedups.py: pulumi_policy's analyzer loops made
  cheap for a pack of many small policies;
- stack.py: the whole stack as a stack rule sees it, and how a subject finds its companions;
- controls.py: the control catalog (docs/controls.md); regions.py: the data-residency region lists;
- props.py, iam_policy.py, resources.py, gke.py, kubernetes.py: how rules read properties, IAM documents,
  resource tokens and labels, GKE node configurations and Kubernetes objects.

Like the rules, the runtime imports only the standard library, pulumi, pulumi_policy and llmops_infra.policies:
a pack built by `llmops pack build` vendors both.
"""
