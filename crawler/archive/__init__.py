"""Talking to a Wayback archive: what to ask and what its answers mean (:mod:`client`), its rate
limits (:mod:`gates`), Save Page Now (:mod:`savepagenow`)."""
