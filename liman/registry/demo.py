"""Demo people and households (filled in by the registry demo-data work)."""

import random


def seed_registry(rng: random.Random, seed: int) -> None:
    return None
