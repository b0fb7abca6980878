"""A tiny decoder-only transformer over characters (GPT, Radford et al. 2018; nanoGPT/makemore style)
that writes US-census names one letter at a time.

The sequence is [kind token, letters..., end]: the first token says which kind of name to write
(female first, male first, last), so one model covers all three. Sampling continues a typed prefix
(`prompt=`) and its knobs (temperature, top_k, top_p) live in playground/sampling.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from playground.base import (GenerativeModel, Likelihood, Recipe, TextTokens, TrainConfig,
                             UIHints, register)
from playground.data import NAME_CHARS, NAME_KINDS, NAME_WIDTH, census_names
from playground.sampling import check_temperature, sample_logits, token_probs

KINDS = tuple(NAME_KINDS)   # ('female', 'male', 'last'): class index → kind name
END = 0                     # id 0 ends a name; 1..26 are a..z; kind tokens follow the letters


@dataclass
class CharGPTConfig:
    n_classes: int = 3      # kinds of name (female, male, last); each gets its own start token
    vocab: int = 27         # end + a..z
    block: int = NAME_WIDTH  # kind token + up to 15 letters: the longest census name has 13
    n_layer: int = 3        # 3 blocks of 96 dims: ~0.35M params, trains in minutes on 1 core
    n_embd: int = 96
    n_head: int = 4
    dropout: float = 0.1    # 95k names is little data for a transformer; mild dropout helps val loss


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention then an MLP, each with a residual."""

    def __init__(self, c: CharGPTConfig):
        super().__init__()
        self.n_head, self.dropout = c.n_head, c.dropout
        self.ln1, self.ln2 = nn.LayerNorm(c.n_embd), nn.LayerNorm(c.n_embd)
        self.qkv = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.proj = nn.Linear(c.n_embd, c.n_embd)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd), nn.GELU(),
                                 nn.Linear(4 * c.n_embd, c.n_embd), nn.Dropout(c.dropout))

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.n_head, C // self.n_head).permute(
            2, 0, 3, 1, 4)                                                  # 3 x (B, nh, T, hd)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, C))               # (B, T, C)
        return x + self.mlp(self.ln2(x))


@register
class CharGPT(GenerativeModel):
    family = "char_gpt"
    capabilities = frozenset({"text", "condition", "likelihood"})
    config_class = CharGPTConfig

    def __init__(self, config: CharGPTConfig):
        super().__init__(config)
        c = config
        assert c.n_embd % c.n_head == 0, f"n_embd {c.n_embd} must be divisible by n_head {c.n_head}"
        self.tok = nn.Embedding(c.vocab + c.n_classes, c.n_embd)  # letters, end, then kind tokens
        self.pos = nn.Embedding(c.block, c.n_embd)
        self.drop = nn.Dropout(c.dropout)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.head = nn.Linear(c.n_embd, c.vocab, bias=False)  # never predicts a kind token

    # ---- core ---------------------------------------------------------------------------
    def forward(self, idx: Tensor) -> Tensor:
        """Token ids (B, T ≤ block) → next-letter logits (B, T, vocab)."""
        T = idx.shape[1]
        if T > self.config.block:
            raise ValueError(f"sequence of {T} tokens, model holds at most {self.config.block}")
        h = self.drop(self.tok(idx) + self.pos(torch.arange(T, device=idx.device)))  # (B, T, C)
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h))

    # ---- the page's copy (playground/webgpt.py) --------------------------------------------
    def web_modules(self, part: str = "decoder") -> list:
        """"text": forward() as a chain; each pre-norm block is two residual steps."""
        if part != "text":
            return super().web_modules(part)
        chain = [("embed", self.tok, self.pos)]
        for b in self.blocks:
            chain += [("residual", [b.ln1, b.qkv, ("causal_attention", b.n_head), b.proj]),
                      ("residual", [b.ln2, *b.mlp])]
        return [*chain, self.ln_f, self.head]

    def text_tokens(self) -> TextTokens:
        """generate()'s rules: at least one letter; at block - 2 letters the name ends."""
        c = self.config
        return TextTokens(tokens=("", *NAME_CHARS), end=END, class_names=KINDS,
                          class_tokens=tuple(range(c.vocab, c.vocab + c.n_classes)),
                          min_letters=1, max_letters=c.block - 2)

    def _kinds(self, condition, n: int) -> Tensor:
        """Accept a kind index, a kind name, a list of either, or a (n,) tensor → (n,) int64."""
        if condition is None:
            raise ValueError(f"{self.family} needs a kind of name: one of {list(KINDS)} or 0–"
                             f"{self.config.n_classes - 1}")
        if isinstance(condition, str):
            condition = [condition] * n
        if isinstance(condition, (list, tuple)):
            condition = [KINDS.index(k) if isinstance(k, str) and k in KINDS else k
                         for k in condition]
            if any(isinstance(k, str) for k in condition):
                raise ValueError(f"unknown kind of name in {condition}; choose from {list(KINDS)}")
        kinds = torch.as_tensor(condition, dtype=torch.int64).flatten()
        if kinds.numel() == 1:
            kinds = kinds.expand(n)
        if kinds.numel() != n:
            raise ValueError(f"got {kinds.numel()} kinds for {n} names")
        if kinds.min() < 0 or kinds.max() >= self.config.n_classes:
            raise ValueError(f"kind must be in [0, {self.config.n_classes - 1}], got {kinds.tolist()}")
        return kinds.to(self.head.weight.device)

    def _sequences(self, x: Tensor, kinds: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Padded names (B, W) → inputs (B, W), targets (B, W) and a mask of the scored targets
        (every letter and the first end id)."""
        inp = torch.cat([(self.config.vocab + kinds)[:, None], x[:, :-1]], 1)  # kind token first
        is_end = (x == END).long()
        mask = (is_end.cumsum(1) - is_end) == 0                                # up to the first end
        return inp, x, mask

    def nll(self, x: Tensor, kinds: Tensor) -> Tensor:
        """Per-name negative log-likelihood in nats (B,) and the number of scored tokens (B,)."""
        inp, tgt, mask = self._sequences(x, kinds)
        logp = -F.cross_entropy(self(inp).transpose(1, 2), tgt, reduction="none")  # (B, W)
        return -(logp * mask).sum(1), mask.sum(1)

    def loss(self, batch) -> Tensor:
        x, y = batch
        nll, count = self.nll(x, y)
        return nll.sum() / count.sum()           # nats per character (end included)

    # ---- text I/O -----------------------------------------------------------------------
    @staticmethod
    def encode_text(prompt: str | None) -> list[int]:
        """A typed prefix → letter ids; only a-z (case-insensitive) is allowed."""
        prompt = (prompt or "").strip().lower()
        bad = sorted({ch for ch in prompt if ch not in NAME_CHARS})
        if bad:
            raise ValueError(f"prompt may only contain the letters a-z, got {''.join(bad)!r}")
        return [NAME_CHARS.index(ch) + 1 for ch in prompt]

    @staticmethod
    def decode_ids(ids) -> str:
        out = []
        for i in ids:
            if i == END:
                break
            out.append(NAME_CHARS[i - 1])
        return "".join(out)

    @torch.no_grad()
    def generate(self, n: int, *, temperature: float = 1.0, condition=None, prompt: str | None = None,
                 generator: torch.Generator | None = None, top_k: int | None = None,
                 top_p: float | None = None) -> tuple[Tensor, Tensor]:
        """Letter ids (n, block-1) ending in 0s, and the probability the model gave each chosen
        token (n, block-1) under the same knobs; prompt letters get probability 1."""
        check_temperature(temperature)
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        kinds = self._kinds(condition, n)
        prefix = self.encode_text(prompt)
        width = self.config.block - 1
        if len(prefix) >= width:
            raise ValueError(f"prompt has {len(prefix)} letters, at most {width - 1} fit")
        dev = self.head.weight.device
        seq = torch.cat([(self.config.vocab + kinds)[:, None],
                         torch.tensor(prefix, dtype=torch.int64, device=dev).expand(n, -1)], 1)
        probs = torch.ones(n, len(prefix), device=dev)
        done = torch.zeros(n, dtype=torch.bool, device=dev)
        for _ in range(width - len(prefix)):
            logits = self(seq)[:, -1]                                           # (n, vocab)
            if seq.shape[1] == 1:           # a name has at least one letter
                logits = logits.index_fill(1, torch.tensor([END], device=dev), float("-inf"))
            if seq.shape[1] == width:       # no room for more letters: the name must end here
                logits = torch.full_like(logits, float("-inf")).index_fill(
                    1, torch.tensor([END], device=dev), 0)
            nxt = sample_logits(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                                generator=generator)                            # (n,)
            p = token_probs(logits, temperature=temperature, top_k=top_k, top_p=top_p)
            p = p.gather(1, nxt[:, None]).squeeze(1)
            nxt = nxt.masked_fill(done, END)
            seq = torch.cat([seq, nxt[:, None]], 1)
            probs = torch.cat([probs, p.masked_fill(done, 1.0)[:, None]], 1)
            done |= nxt == END
            if done.all():
                break
        ids = seq[:, 1:]
        pad = width - ids.shape[1]
        return F.pad(ids, (0, pad)), F.pad(probs, (0, pad), value=1.0)

    def sample(self, n: int, *, temperature: float = 1.0, condition=None, prompt: str | None = None,
               generator: torch.Generator | None = None, top_k: int | None = None,
               top_p: float | None = None) -> list[str]:
        """n names of the given kind(s) that start with `prompt`. temperature: 1.0 = the model's
        distribution, < 1 = safer, 0 = greedy; top_k / top_p cut the unlikely tail (see sampling.py)."""
        ids, _ = self.generate(n, temperature=temperature, condition=condition, prompt=prompt,
                               generator=generator, top_k=top_k, top_p=top_p)
        return [self.decode_ids(row.tolist()) for row in ids]

    def sample_text(self, n: int, *, temperature: float = 1.0, condition=None, prompt: str = "",
                    generator: torch.Generator | None = None, top_k: int | None = None,
                    top_p: float | None = None) -> list[tuple[str, Tensor]]:
        """Like `sample`, with the probability of each letter and of the end (last entry), as the
        sampler saw it; for colouring text by confidence. Prompt letters have probability 1."""
        ids, probs = self.generate(n, temperature=temperature, condition=condition, prompt=prompt,
                                   generator=generator, top_k=top_k, top_p=top_p)
        names = [self.decode_ids(row) for row in ids.tolist()]
        # generate() always ends a name with END, so the end's probability is at len(name)
        return [(name, p[:len(name) + 1]) for name, p in zip(names, probs)]

    def likelihood(self, x, condition=None, *,
                   generator: torch.Generator | None = None) -> Likelihood:
        """Exact log p(name | kind) in nats, the end included: x is padded letter ids (N, block)
        as the data loader yields them, or a list of names; dims counts letters + the end."""
        if isinstance(x, (list, tuple)):
            x = self._ids(x)
        nll, count = self.nll(x.to(self.head.weight.device), self._kinds(condition, len(x)))
        return Likelihood("exact", -nll, count)

    def _ids(self, names: list[str]) -> Tensor:
        """Names → padded letter ids (N, block), 0 (the end) after the last letter."""
        x = torch.zeros(len(names), self.config.block, dtype=torch.int64)
        for i, s in enumerate(names):
            ids = self.encode_text(s)
            if len(ids) >= self.config.block:
                raise ValueError(f"{s!r} is longer than the {self.config.block - 1} letters modelled")
            x[i, :len(ids)] = torch.tensor(ids, dtype=torch.int64)
        return x

    @torch.no_grad()
    def log_prob(self, names: list[str], condition=None) -> Tensor:
        """Log-likelihood in nats of whole names (end included) under the model: (len(names),)."""
        return self.likelihood(names, condition).log_p

    def is_novel(self, name: str, condition=None) -> bool:
        """True if `name` is not a census name of that kind (any kind when condition is None)."""
        kinds = KINDS if condition is None else [condition if isinstance(condition, str)
                                                 else KINDS[int(condition)]]
        return all(name not in _name_set(k) for k in kinds)

    # ---- metrics ------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        import time
        nll, count = self.nll(x, y)
        g = torch.Generator().manual_seed(0)
        n = 300
        kinds = torch.arange(n) % self.config.n_classes
        names = self.sample(n, temperature=1.0, condition=kinds, generator=g)
        novel = [self.is_novel(s, int(k)) for s, k in zip(names, kinds)]
        start = time.perf_counter()
        self.sample(20, temperature=1.0, condition=torch.arange(20) % self.config.n_classes,
                    generator=g)
        metrics = {"val_nats_per_char": (nll.sum() / count.sum()).item(),
                   "val_bits_per_char": (nll.sum() / count.sum()).item() / math.log(2),
                   "val_nats_per_name": nll.mean().item(),
                   "novel_at_T1_percent": 100.0 * sum(novel) / n}
        for k, kind in enumerate(KINDS):
            sel = y == k
            if not sel.any():
                continue
            metrics[f"val_nats_per_char_{kind}"] = (nll[sel].sum() / count[sel].sum()).item()
            picks = [v for v, kk in zip(novel, kinds.tolist()) if kk == k]
            metrics[f"novel_at_T1_percent_{kind}"] = 100.0 * sum(picks) / len(picks)
        metrics["empty_names_at_T1_percent"] = 100.0 * sum(not s for s in names) / n
        for k, kind in enumerate(KINDS):     # a few samples for the card: names are the "image"
            metrics[f"samples_T1_{kind}"] = names[k::self.config.n_classes][:8]
        metrics["seconds_for_20_names"] = round(time.perf_counter() - start, 3)
        return metrics


_NAME_SETS: dict[str, frozenset[str]] = {}


def _name_set(kind: str) -> frozenset[str]:
    if kind not in _NAME_SETS:
        _NAME_SETS[kind] = frozenset(census_names(kind))
    return _NAME_SETS[kind]


RECIPES = {
    "chargpt-names": Recipe(
        name="chargpt-names", family="char_gpt", config=CharGPTConfig(), data="names",
        train=TrainConfig(epochs=10, batch_size=256, lr=2e-3),
        ui=UIHints(order=95, class_names=KINDS, max_prompt=NAME_WIDTH - 2),
        summary="Tiny character-level transformer: invents female, male and last names, "
                "optionally continuing a prefix you type.",
        limits="Trained on US-census names only (a-z, no accents, spaces or hyphens): names from "
               "other cultures come out anglicised. Last names are 94 % of the data, so first-name "
               "samples drift toward surname spellings at high temperature; the male list is "
               "small (1,219 names), so male samples repeat real names more often than the others. "
               "Probabilities are over letters, not a judgement of how real a name is.",
        notes="Training time is wall-clock on a 2-core machine shared with other trainings: this "
              "run got about half a core (about 11 min of CPU time). Novelty counts a sample as "
              "novel when it is not a census name of the kind it was asked for, train or held out.",
        tiny={"n_layer": 1, "n_embd": 16, "n_head": 2}),
}
