"""The progress bar's rate reads at any size (a small run showed '0.0 M citizen-months/s')."""

import pytest

from scsim.progress import rate_text


@pytest.mark.parametrize("rate, text", [(3.94e6, "3.9 M"), (45.2e6, "45 M"), (45_123, "45 k"), (8_200, "8.2 k"),
                                        (820, "820"), (3.3, "3.3")])
def test_rate_text(rate, text):
    assert rate_text(rate) == f"{text} citizen-months/s"
