"""Trial allocation at referral (DOMAIN.md §6).

Rule: an eligible person referred to a programme that runs a randomised trial is allocated to
intervention or control by a recorded random draw. The draw is

- seeded: the programme's trial seed, so anyone holding the seed can re-run every draw;
- balanced: permuted blocks of four (two of each arm), so a small site does not end up all control;
- optionally stratified by site: each site has its own sequence of blocks;
- recorded: the returned `draw` text names seed, stratum, sequence number, block and position,
  which is enough to reproduce the arm from this function alone.

Pure: no database, no clock. The caller supplies the sequence number (how many people have already
been allocated in the stratum) and stores the result; the allocation is never edited afterwards.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

INTERVENTION = "intervention"
CONTROL = "control"
BLOCK = (INTERVENTION, INTERVENTION, CONTROL, CONTROL)


@dataclass(frozen=True)
class Allocation:
    arm: str
    draw: str


def stratum_for(programme_id: int, site_id: int | None, stratify_by_site: bool) -> str:
    return f"p{programme_id}-s{site_id}" if stratify_by_site and site_id is not None else f"p{programme_id}"


def allocate(seed: int, stratum: str, sequence: int) -> Allocation:
    """The arm of the `sequence`-th person (0-based) allocated in `stratum` under `seed`."""
    if sequence < 0:
        raise ValueError("sequence must be 0 or more")
    block, position = divmod(sequence, len(BLOCK))
    # A string seed hashed with SHA-256 is stable across Python versions and processes (hash() is not).
    digest = hashlib.sha256(f"{seed}:{stratum}:{block}".encode()).hexdigest()
    order = list(BLOCK)
    random.Random(int(digest, 16)).shuffle(order)
    arm = order[position]
    draw = f"seed={seed} stratum={stratum} sequence={sequence} block={block} position={position} arm={arm}"
    return Allocation(arm=arm, draw=draw)
