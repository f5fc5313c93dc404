"""The friendship network: undirected, typed ties (friend or family), cut and made every month.

One module per concern:

- ``structure``: the slotted ``Network`` (each citizen's ties sorted in its own run of slots,
  cut and made in O(degree)) and its kernels: layout, cut or make, relocation, sorting;
- ``prefetch``: the memory hints of the tie passes (here and in the scoring and behaviour
  kernels);
- ``generators``: Watts-Strogatz, Barabasi-Albert, a tau-homophilous block model, households,
  and ``dedupe``, which every builder's edge arrays go through;
- ``io``: the edge-list and NetworkX loaders;
- ``analysis``: components (union-find) and assortativity, read by the network metrics.

Generators and loaders all produce plain edge arrays, from which ``Network`` is built. The
names below are the package's interface (``from scsim.network import ...``).
"""

from .generators import barabasi_albert, dedupe, homophilous_blocks, households, watts_strogatz
from .io import edgelist_path, from_networkx, load_edgelist
from .prefetch import PREFETCH_AHEAD, prefetch, prefetch_friends, prefetch_index
from .structure import FAMILY, FRIEND, KIND_NAMES, Network, find_slot, insert_sorted, remove_slot, slot_position

__all__ = ["FAMILY", "FRIEND", "KIND_NAMES", "Network", "PREFETCH_AHEAD", "barabasi_albert", "dedupe", "find_slot",
           "edgelist_path", "from_networkx", "homophilous_blocks", "households", "insert_sorted", "load_edgelist", "prefetch",
           "prefetch_friends", "prefetch_index", "remove_slot", "slot_position", "watts_strogatz"]
