"""Attention layers: MultiHeadAttention, Attention (Luong-style) and AdditiveAttention (Bahdanau-style)."""

from loom.layers.attention.additive_attention import AdditiveAttention as AdditiveAttention
from loom.layers.attention.attention import Attention as Attention
from loom.layers.attention.multi_head_attention import MultiHeadAttention as MultiHeadAttention
