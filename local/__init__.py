"""The local stack: embedded AWS (moto server), vendor simulators, the API and the bus rules."""
