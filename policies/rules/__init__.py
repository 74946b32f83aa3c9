"""The rule library: importing it registers every rule in RULES."""

from policies.rules.rule import RULES, Resource, Rule, Settings

__all__ = ["RULES", "Resource", "Rule", "Settings"]
