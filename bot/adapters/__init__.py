"""Adapters: thin transports between a founder and the Coach."""
