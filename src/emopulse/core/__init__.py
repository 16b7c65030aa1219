"""Pieces every stage shares: column schema, input reading, batching, model bundles, output parts."""
