"""Small real agents that agentctl's example jobs run (python3 -m agents.<name> from examples/)."""
