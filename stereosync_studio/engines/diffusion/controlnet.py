"""The envelope ControlNet on Stable Audio Open's DiT (Stable-V2A §IV.D, StereoSync §III.B.3).

A trainable copy of the first N transformer blocks (N = round(depth_factor * depth), 5 of 24
for SAO at the papers' 20 %) reads the frozen DiT's input tokens plus the control tokens (the
RMS envelope interpolated to audio length, both channels, encoded by the same VAE) through a
zero-initialised input projection; after block i its state goes through a zero-initialised
linear layer and is added to the frozen DiT's hidden state after block i. Both zero inits
make the untrained adapter an exact no-op, so training starts from Stable Audio Open itself.

`ControlledDiT` subclasses upstream `DiffusionTransformer` and re-implements only `_forward`
(upstream `ContinuousTransformer.forward` has no hook for per-block residuals); the public
`forward` with its batched classifier-free guidance is upstream's, and passes our `control`
and `control_scale` keywords through to `_forward` untouched.
"""

from __future__ import annotations

from . import _upstream  # noqa: F401  (quiet stable-audio-tools import, first)

import copy

import torch
from einops import rearrange
from stable_audio_tools.models.diffusion import DiTWrapper
from stable_audio_tools.models.dit import DiffusionTransformer
from stable_audio_tools.models.transformer import checkpoint
from torch import nn
from torch.nn import functional as F


def controlnet_depth(depth: int, depth_factor: float) -> int:
    """Number of copied blocks: the papers' depth factor of the DiT depth, at least one."""
    return max(1, min(int(depth), int(round(float(depth_factor) * int(depth)))))


def _zero_linear(d_in: int, d_out: int) -> nn.Linear:
    layer = nn.Linear(d_in, d_out)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


class ControlNet(nn.Module):
    """Trainable copies of the first blocks, a control encoder and zero output projections."""

    def __init__(self, dit: DiffusionTransformer, n_blocks: int, control_channels: int):
        super().__init__()
        dim = dit.transformer.dim
        self.n_blocks = int(n_blocks)
        self.control_in = nn.Sequential(nn.Linear(control_channels, dim), nn.SiLU(), _zero_linear(dim, dim))
        self.blocks = nn.ModuleList([copy.deepcopy(dit.transformer.layers[i]) for i in range(self.n_blocks)])
        self.zero_outs = nn.ModuleList([_zero_linear(dim, dim) for _ in range(self.n_blocks)])
        for p in self.parameters():
            p.requires_grad_(True)

    @torch.no_grad()
    def init_from(self, dit: DiffusionTransformer) -> None:
        """Copy the (loaded) base blocks into the trainable copies, as ControlNet prescribes."""
        for i, block in enumerate(self.blocks):
            block.load_state_dict(dit.transformer.layers[i].state_dict())


class ControlledDiT(DiffusionTransformer):
    """Upstream DiffusionTransformer with an optional envelope ControlNet."""

    def __init__(self, *args, controlnet_blocks: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        io = self.transformer.project_out.out_features  # io_channels * patch_size
        self.controlnet = ControlNet(self, controlnet_blocks, io) if controlnet_blocks > 0 else None

    def _forward(self, x, t, mask=None, cross_attn_cond=None, cross_attn_cond_mask=None,
                 input_concat_cond=None, global_embed=None, prepend_cond=None,
                 prepend_cond_mask=None, return_info=False, exit_layer_ix=None,
                 control=None, control_scale=1.0, **kwargs):
        # Mirrors upstream DiffusionTransformer._forward up to the transformer call.
        if cross_attn_cond is not None:
            cross_attn_cond = self.to_cond_embed(cross_attn_cond)
        if global_embed is not None:
            global_embed = self.to_global_embed(global_embed)
        prepend_inputs, prepend_mask, prepend_length = None, None, 0
        if prepend_cond is not None:
            prepend_cond = self.to_prepend_embed(prepend_cond)
            prepend_inputs = prepend_cond
            if prepend_cond_mask is not None:
                prepend_mask = prepend_cond_mask
            prepend_length = prepend_cond.shape[1]
        if input_concat_cond is not None:
            if input_concat_cond.shape[2] != x.shape[2]:
                input_concat_cond = F.interpolate(input_concat_cond, (x.shape[2],), mode="nearest")
            x = torch.cat([x, input_concat_cond], dim=1)
        timestep_embed = self.to_timestep_embed(self.timestep_features(t[:, None]))
        if self.timestep_cond_type == "global":
            global_embed = timestep_embed if global_embed is None else global_embed + timestep_embed
        elif self.timestep_cond_type == "input_concat":
            x = torch.cat([x, timestep_embed.unsqueeze(1).expand(-1, -1, x.shape[2])], dim=1)
        if self.global_cond_type == "prepend" and global_embed is not None:
            ones = torch.ones((x.shape[0], 1), device=x.device, dtype=torch.bool)
            if prepend_inputs is None:
                prepend_inputs, prepend_mask = global_embed.unsqueeze(1), ones
            else:
                prepend_inputs = torch.cat([prepend_inputs, global_embed.unsqueeze(1)], dim=1)
                prepend_mask = torch.cat([prepend_mask, ones], dim=1)
            prepend_length = prepend_inputs.shape[1]
        x = self.preprocess_conv(x) + x
        x = rearrange(x, "b c t -> b t c")
        extra = {"global_cond": global_embed} if self.global_cond_type == "adaLN" else {}
        if self.patch_size > 1:
            x = rearrange(x, "b (t p) c -> b t (c p)", p=self.patch_size)

        ctrl = None
        if control is not None and self.controlnet is not None and float(control_scale) != 0.0:
            ctrl = control.to(x.dtype)
            if ctrl.shape[0] != x.shape[0]:  # batched CFG doubled x; control serves both halves
                ctrl = ctrl.repeat(x.shape[0] // ctrl.shape[0], 1, 1)
            if ctrl.shape[2] != x.shape[1] * self.patch_size:
                ctrl = F.interpolate(ctrl, (x.shape[1] * self.patch_size,), mode="linear", align_corners=False)
            ctrl = rearrange(ctrl, "b c t -> b t c")
            if self.patch_size > 1:
                ctrl = rearrange(ctrl, "b (t p) c -> b t (c p)", p=self.patch_size)

        output, info = self._run_transformer(x, prepend_inputs, cross_attn_cond, extra, ctrl,
                                             float(control_scale), return_info, exit_layer_ix)
        if exit_layer_ix is not None:
            return (output, info) if return_info else output
        output = rearrange(output, "b t c -> b c t")[:, :, prepend_length:]
        if self.patch_size > 1:
            output = rearrange(output, "b (c p) t -> b c (t p)", p=self.patch_size)
        output = self.postprocess_conv(output) + output
        return (output, info) if return_info else output

    def _run_transformer(self, x, prepend_embeds, context, extra, ctrl, scale, return_info, exit_layer_ix):
        """Upstream ContinuousTransformer.forward, plus the ControlNet residual after block i."""
        tr = self.transformer
        batch = x.shape[0]
        info = {"hidden_states": []}
        x = tr.project_in(x.to(next(tr.parameters()).dtype))
        if prepend_embeds is not None:
            x = torch.cat((prepend_embeds, x), dim=-2)
        if tr.num_memory_tokens > 0:
            x = torch.cat((tr.memory_tokens.expand(batch, -1, -1), x), dim=1)
        rotary = tr.rotary_pos_emb.forward_from_seq_len(x.shape[1]) if tr.rotary_pos_emb is not None else None
        if tr.use_sinusoidal_emb or tr.use_abs_pos_emb:
            x = x + tr.pos_emb(x)
        global_cond = extra.get("global_cond")
        if global_cond is not None and tr.global_cond_embedder is not None:
            global_cond = tr.global_cond_embedder(global_cond)
        kw = dict(rotary_pos_emb=rotary, global_cond=global_cond, context=context,
                  self_attention_flash_sliding_window=tr.sliding_window)
        use_ckpt = torch.is_grad_enabled() and self.training

        def run(layer, h):
            return checkpoint(layer, h, **kw) if use_ckpt else layer(h, **kw)

        residuals = []
        if ctrl is not None:
            c = self.controlnet.control_in(ctrl)
            lead = x.shape[1] - c.shape[1]  # memory + prepended tokens get no control
            h = x + F.pad(c, (0, 0, lead, 0))
            for block, zero_out in zip(self.controlnet.blocks, self.controlnet.zero_outs):
                h = run(block, h)
                residuals.append(zero_out(h) * scale)
        for i, layer in enumerate(tr.layers):
            x = run(layer, x)
            if i < len(residuals):
                x = x + residuals[i]
            if return_info:
                info["hidden_states"].append(x)
            if exit_layer_ix is not None and i == exit_layer_ix:
                return x[:, tr.num_memory_tokens:, :], info
        x = x[:, tr.num_memory_tokens:, :]
        return tr.project_out(x), info


class ControlledDiTWrapper(DiTWrapper):
    """Upstream DiTWrapper whose inner model is a ControlledDiT (same state-dict names)."""

    def __init__(self, diffusion_objective: str, *args, controlnet_blocks: int = 0, **kwargs):
        nn.Module.__init__(self)
        self.supports_cross_attention, self.supports_input_concat = True, False
        self.supports_global_cond, self.supports_prepend_cond = False, False
        self.diffusion_objective = diffusion_objective
        self.model = ControlledDiT(*args, diffusion_objective=diffusion_objective,
                                   controlnet_blocks=controlnet_blocks, **kwargs)
