"""Starts the policy pack (Pulumi runs this); never import it from tests or tools."""

import sys
from pathlib import Path

# Pulumi runs the pack from this folder; the rules live in the `policy` package beside it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy.policies import PACK_NAME, RESOURCE_POLICIES, STACK_POLICIES

PolicyPack(name=PACK_NAME, policies=[*RESOURCE_POLICIES, *STACK_POLICIES])
