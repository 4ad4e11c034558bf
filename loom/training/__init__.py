"""Training and inference engine (host loop, compiled steps, data adapters)."""
