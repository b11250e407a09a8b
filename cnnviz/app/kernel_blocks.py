"""A table of conv kernels paged in blocks (no Qt): which kernels a page shows, in what order.

The step explainer's ΔW tab and the filters view draw a conv layer's ``(C_out, C_in, K, K)``
kernels as a table (rows one kind of channel, columns the other). A big one (128 x 64 = 8,192 kernels) cannot page by whole
rows: its 128 columns alone shrink every kernel to a dot. So a page is a *block* of the table,
``block_rows x block_cols`` kernels, and the block's sides divide the table's: every page is
full, and the pages in order reach every kernel exactly once::

    blocks = KernelBlocks(rows=64, cols=128, block_rows=16, block_cols=32)
    maps = table[blocks.order()]          # table (64 * 128, K, K) -> page after page
    blocks.page_size                       # 512 kernels a page; a Pager pages ``maps`` by it
    blocks.origin(page_start)              # (first row, first column) of that page
    block_sizes(64, 128)                   # {8192: [(64, 128)], 4096: [(32, 128), (64, 64)], ...}

A ``paging.Pager`` over ``maps`` with ``page_size`` then shows one block a page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A kernel of a table of kernels pages below this: a table is an overview of thousands of
#: small kernels (LeNet's 50 x 20 table of 5x5 kernels is drawn 7.7 px a kernel in the step
#: explainer at 1920x1080 and stays one page; a 128 x 64 table of 3x3 kernels pages into
#: blocks at least this large)
KERNEL_TILE_PX = 7


def divisors(n: int) -> list[int]:
    """The divisors of ``n``, smallest first."""
    return [d for d in range(1, n + 1) if n % d == 0]


def block_sizes(rows: int, cols: int, least: int = 4) -> dict[int, list[tuple[int, int]]]:
    """Kernels a page -> the ``(block_rows, block_cols)`` blocks of that many, largest page
    first (the whole table first). Pages of fewer than ``least`` kernels are left out (a
    table that small is one page anyway)."""
    sizes: dict[int, list[tuple[int, int]]] = {}
    for r in divisors(rows):
        for c in divisors(cols):
            if r * c >= min(least, rows * cols):
                sizes.setdefault(r * c, []).append((r, c))
    return {n: sorted(sizes[n]) for n in sorted(sizes, reverse=True)}


@dataclass(frozen=True)
class KernelBlocks:
    """A ``rows x cols`` table shown ``block_rows x block_cols`` a page (see module doc)."""

    rows: int
    cols: int
    block_rows: int
    block_cols: int

    def __post_init__(self) -> None:
        if self.rows % self.block_rows or self.cols % self.block_cols:
            raise ValueError(f"a {self.block_rows}x{self.block_cols} block does not divide a "
                             f"{self.rows}x{self.cols} table")

    @classmethod
    def whole(cls, rows: int, cols: int) -> KernelBlocks:
        """The table on one page."""
        return cls(rows, cols, rows, cols)

    @property
    def page_size(self) -> int:
        return self.block_rows * self.block_cols

    @property
    def pages(self) -> int:
        return (self.rows // self.block_rows) * (self.cols // self.block_cols)

    def order(self) -> np.ndarray:
        """``(rows * cols,)``: the table index ``row * cols + col`` of each kernel as drawn,
        block after block (left to right, then down), each block row by row."""
        r = np.arange(self.rows).reshape(-1, self.block_rows)        # (row blocks, rows)
        c = np.arange(self.cols).reshape(-1, self.block_cols)        # (col blocks, cols)
        # (row block, col block, row in block, col in block)
        index = r[:, None, :, None] * self.cols + c[None, :, None, :]
        return index.reshape(-1)

    def origin(self, page_start: int) -> tuple[int, int]:
        """``(first row, first column)`` of the block that starts at kernel ``page_start``."""
        page = page_start // self.page_size
        across = self.cols // self.block_cols
        return (page // across) * self.block_rows, (page % across) * self.block_cols

    def page_of(self, row: int, col: int) -> int:
        """The page showing the kernel at ``(row, col)``."""
        return (row // self.block_rows) * (self.cols // self.block_cols) + col // self.block_cols

    def text(self, page_start: int, compact: bool = False, row_name: str = "in",
             col_name: str = "out") -> str:
        """The block's place for a title: `` · out 32–63 of 128, in 0–15 of 64`` (compact:
        ``out 32–63, in 0–15``), naming only the sides that are split; ``""`` on one page."""
        if self.pages <= 1:
            return ""
        r0, c0 = self.origin(page_start)
        parts = []
        if self.block_cols < self.cols:
            parts.append((col_name, c0, c0 + self.block_cols - 1, self.cols))
        if self.block_rows < self.rows:
            parts.append((row_name, r0, r0 + self.block_rows - 1, self.rows))
        if compact:
            return ", ".join(f"{name} {a}–{b}" for name, a, b, _ in parts)
        return " · " + ", ".join(f"{name} {a}–{b} of {n}" for name, a, b, n in parts)
