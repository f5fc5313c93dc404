"""One exception for every kind of bad input.

The CLI turns an ``InputError`` into a single line on stderr and exit status 2, so every
message must say *where* (file, key, line) and *what* is wrong, in one sentence.
"""


class InputError(ValueError):
    """Bad user input: a scenario file, an edge list, a CLI argument, a run folder."""
